/*
 * POST /models, transcribed from ../shared/api/POST-models.md (the
 * authority): the model object, the training parameters, the create body
 * and their enums. Enum values are kept in the page's order; fields in
 * the page's order, which is also the order the encoder writes them in.
 */
#ifndef SCENARIO_SCHEMA_MODELS_C
#define SCENARIO_SCHEMA_MODELS_C

#include "common.h"

#include <float.h>

#include "schema.h"

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define FIELDS(a) .fields = (a), .nfields = COUNT(a)
#define STRENUM(n, a) { n, a, NULL, COUNT(a) - 1 }

/* ---- enums ------------------------------------------------------------ */

static const char *const model_type_values[] = {
  "custom", "elevenlabs-voice", "flux.1", "flux.1-composition",
  "flux.1-kontext-dev", "flux.1-kontext-lora", "flux.1-krea-dev",
  "flux.1-krea-lora", "flux.1-lora", "flux.1-pro", "flux.1.1-pro-ultra",
  "flux.2-dev-edit-lora", "flux.2-dev-lora", "flux.2-klein-4b-edit-lora",
  "flux.2-klein-4b-lora", "flux.2-klein-9b-edit-lora",
  "flux.2-klein-9b-lora", "flux.2-klein-base-4b-edit-lora",
  "flux.2-klein-base-4b-lora", "flux.2-klein-base-9b-edit-lora",
  "flux.2-klein-base-9b-lora", "flux1.1-pro", "gpt-image-1",
  "qwen-image-2512-lora", "qwen-image-edit-2509-lora",
  "qwen-image-edit-2511-lora", "qwen-image-edit-lora", "qwen-image-lora",
  "sd-1_5", "sd-1_5-composition", "sd-1_5-lora", "sd-xl",
  "sd-xl-composition", "sd-xl-lora", "zimage-de-turbo-lora", "zimage-lora",
  "zimage-turbo-lora", NULL
};

static const char *const capability_values[] = {
  "3d23d", "audio2audio", "audio2video", "controlnet", "controlnet_img2img",
  "controlnet_inpaint", "controlnet_inpaint_ip_adapter",
  "controlnet_ip_adapter", "controlnet_reference", "controlnet_texture",
  "img23d", "img2img", "img2img_ip_adapter", "img2img_texture", "img2txt",
  "img2video", "inpaint", "inpaint_ip_adapter", "outpaint", "reference",
  "reference_texture", "txt23d", "txt2audio", "txt2img",
  "txt2img_ip_adapter", "txt2img_texture", "txt2txt", "txt2video",
  "video23d", "video2audio", "video2img", "video2video", NULL
};

static const char *const status_values[] = {
  "copying", "failed", "new", "trained", "training", "training-canceled", NULL
};
static const char *const privacy_values[] = {
  "private", "public", "unlisted", NULL
};
static const char *const source_values[] = {
  "civitai", "huggingface", "other", "scenario", NULL
};
static const lua_Integer access_restrictions_values[] = { 0, 100, 25, 50, 75 };
static const char *const class_status_values[] = {
  "published", "unpublished", NULL
};
static const char *const input_type_values[] = {
  "boolean", "file", "file_array", "inputs_array", "model", "model_array",
  "number", "number_array", "string", "string_array", NULL
};
static const char *const input_kind_values[] = {
  "3d", "audio", "document", "image", "image-hdr", "json", "video", NULL
};
static const char *const background_behavior_values[] = {
  "opaque", "transparent", NULL
};
static const char *const lr_scheduler_values[] = {
  "constant", "constant-with-warmup", "cosine", "cosine-with-restarts",
  "linear", "polynomial", NULL
};
/* The page's prose also mentions "all" and "none", but its enum lists only
 * "likeness"; the enum is what is transcribed. Responses keep any value. */
static const char *const optimize_for_values[] = { "likeness", NULL };
static const char *const training_stage_values[] = {
  "pending", "pending-captcha", "queued-for-train", "running-train",
  "starting-train", NULL
};
static const char *const trigger_position_values[] = { "bottom", "top", NULL };

static const sc_enum e_model_type = STRENUM("model_type", model_type_values);
static const sc_enum e_capability = STRENUM("capability", capability_values);
static const sc_enum e_status = STRENUM("status", status_values);
static const sc_enum e_privacy = STRENUM("privacy", privacy_values);
static const sc_enum e_source = STRENUM("source", source_values);
static const sc_enum e_access_restrictions = {
  "access_restrictions", NULL, access_restrictions_values,
  COUNT(access_restrictions_values)
};
static const sc_enum e_class_status = STRENUM("class_status", class_status_values);
static const sc_enum e_input_type = STRENUM("input_type", input_type_values);
static const sc_enum e_input_kind = STRENUM("input_kind", input_kind_values);
static const sc_enum e_background_behavior =
  STRENUM("background_behavior", background_behavior_values);
static const sc_enum e_lr_scheduler = STRENUM("lr_scheduler", lr_scheduler_values);
static const sc_enum e_optimize_for = STRENUM("optimize_for", optimize_for_values);
static const sc_enum e_training_stage =
  STRENUM("training_stage", training_stage_values);
static const sc_enum e_trigger_position =
  STRENUM("trigger_position", trigger_position_values);

/* ---- shared leaf types ------------------------------------------------ */

static const sc_type t_string = { .kind = SC_STRING };
static const sc_type t_number = { .kind = SC_NUMBER };
static const sc_type t_boolean = { .kind = SC_BOOLEAN };
static const sc_type t_any = { .kind = SC_ANY };
static const sc_type t_strings = { .kind = SC_ARRAY, .items = &t_string };
static const sc_type t_any_array = { .kind = SC_ARRAY, .items = &t_any };
static const sc_type t_any_map = { .kind = SC_MAP, .items = &t_any };
static const sc_type t_model_type = { .kind = SC_STRING, .enm = &e_model_type };
static const sc_type t_model_types = { .kind = SC_ARRAY, .items = &t_model_type };

#define NUM_RANGE(lo, hi) \
  { .kind = SC_NUMBER, .bounds = SC_HAS_MIN | SC_HAS_MAX, .min = (lo), .max = (hi) }
#define NUM_MIN(lo) { .kind = SC_NUMBER, .bounds = SC_HAS_MIN, .min = (lo) }
#define NUM_ABOVE(lo) \
  { .kind = SC_NUMBER, .bounds = SC_HAS_MIN | SC_EXCL_MIN, .min = (lo) }

/* ---- concepts (request and response) ----------------------------------- */

static const sc_type t_scale = NUM_RANGE(-2, 2);
static const sc_field concept_fields[] = {
  { "modelId", &t_string, SC_REQUIRED, "The model ID (example: \"model_eyVcnFJcR92BxBkz7N6g5w\")" },
  { "scale", &t_scale, SC_REQUIRED,
    "The scale of the model (example: 1.0) For Flux Kontext Prompt Editing, the scale is between "
    "0 and 2." },
  { "modelEpoch", &t_string, 0,
    "The epoch of the model (example: \"000001\") Only available for Flux Lora Trained models" },
};
static const sc_type t_concept = { .kind = SC_OBJECT, .name = "Concept", FIELDS(concept_fields) };
static const sc_type t_concepts = { .kind = SC_ARRAY, .items = &t_concept };

/* ---- POST /models body and query ---------------------------------------- */

static const sc_type t_name64 = { .kind = SC_STRING, .max_length = 64 };
static const sc_type t_desc256 = { .kind = SC_STRING, .max_length = 256 };

static const sc_field create_body_fields[] = {
  { "baseModelId", &t_string, 0,
    "The ID of the base model to use as a starting point for the training (example: "
    "\"flux.1-dev\"). Value is automatically set based on the model's type. In case of doubt "
    "leave it empty." },
  { "classSlug", &t_string, SC_NULLABLE,
    "The slug of the class you want to use (ex: \"characters-npcs-mobs-characters\"). Set to "
    "null to unset the class" },
  { "collectionIds", &t_strings, 0, "List of collection IDs to add the model to" },
  { "concepts", &t_concepts, 0,
    "The concepts is required for composition models. With one or more loras. Only applicable to "
    "Flux based models (and older SD1.5 and SDXL models)" },
  { "name", &t_name64, 0,
    "The model's name (ex: \"Cinematic Realism\"). If not set, the model's name will be "
    "automatically generated when starting training based on training data." },
  { "shortDescription", &t_desc256, 0,
    "The model's short description (ex: \"This model generates highly detailed cinematic "
    "scenes.\"). If not set, the model's short description will be automatically generated when "
    "starting training based on training data." },
  { "type", &t_model_type, 0,
    "The model's type (ex: \"flux.1-lora\"). The type can only be changed if the model has the "
    "\"new\" status." },
};
static const sc_type t_create_body = { .kind = SC_OBJECT, .name = "CreateModelBody", FIELDS(create_body_fields) };

/* POST-models.md lists only originalAssets; projectId is the ownership
 * parameter every neighbouring /models endpoint documents, and part of the
 * client's contract (scenario.new{project_id = ...}). */
static const sc_field model_query_fields[] = {
  { "originalAssets", &t_boolean, 0,
    "If set to true, returns the original asset without transformation" },
  { "projectId", &t_string, 0,
    "The projectId used for ownership resource management. Either to assert ownership or to set "
    "the owner of the resource(s)" },
};
static const sc_type t_model_query = { .kind = SC_OBJECT, .name = "ModelQuery", FIELDS(model_query_fields) };

/* ---- the model object (responses) --------------------------------------- */

static const sc_type t_capabilities = {
  .kind = SC_ARRAY, .items = &(const sc_type){ .kind = SC_STRING, .enm = &e_capability }
};
static const sc_type t_privacy = { .kind = SC_STRING, .enm = &e_privacy };
static const sc_type t_source = { .kind = SC_STRING, .enm = &e_source };
static const sc_type t_status = { .kind = SC_STRING, .enm = &e_status };
static const sc_type t_access = { .kind = SC_INTENUM, .enm = &e_access_restrictions };

static const sc_field class_fields[] = {
  { "category", &t_string, SC_REQUIRED, "The category slug of the class (example: \"art-style\")" },
  { "conceptPrompt", &t_string, SC_REQUIRED,
    "The concept prompt of the class (example: \"a sks character design\")" },
  { "modelId", &t_string, SC_REQUIRED,
    "The model ID of the class (example: \"stable-diffusion-v1-5\")" },
  { "name", &t_string, SC_REQUIRED, "The class name (example: \"Character Design\")" },
  { "prompt", &t_string, SC_REQUIRED, "The class prompt (example: \"a character design\")" },
  { "slug", &t_string, SC_REQUIRED, "The class slug (example: \"art-style-character-design\")" },
  { "status", &(const sc_type){ .kind = SC_STRING, .enm = &e_class_status }, SC_REQUIRED,
    "The class status (only published classes are listed, but unpublished classes can still "
    "appear in existing models)" },
  { "thumbnails", &t_strings, SC_REQUIRED, "Some example images URLs to showcase the class" },
};

static const sc_field asset_ref_fields[] = {
  { "assetId", &t_string, SC_REQUIRED,
    "The AssetId of the image (example: \"asset_GTrL3mq4SXWyMxkOHRxlpw\")" },
  { "url", &t_string, SC_REQUIRED, "The url of the asset" },
};
static const sc_type t_asset_ref = { .kind = SC_OBJECT, .name = "AssetRef", FIELDS(asset_ref_fields) };

static const sc_field epoch_fields[] = {
  { "epoch", &t_string, SC_REQUIRED, "The epoch hash to identify the epoch" },
  { "assets", &(const sc_type){ .kind = SC_ARRAY, .items = &t_asset_ref }, 0,
    "The assets of the epoch if sample prompts as been supplied during training" },
};

static const sc_field input_required_fields[] = {
  { "always", &t_boolean, 0, "Whether the input is always required" },
  { "conditionalValues", &t_any, 0,
    "Makes this input required when another input has a specific value: Key: name of the input "
    "to check; Value: operation and allowed values that trigger the requirement" },
  { "ifDefined", &t_any, 0,
    "Makes this input required when another input is defined: Key: name of the input that must "
    "be defined; Value: message to display when this input is required" },
  { "ifNotDefined", &t_any, 0,
    "Makes this input required when another input is not defined: Key: name of the input that "
    "must be undefined; Value: message to display when this input is required" },
};

static const sc_type t_step = NUM_MIN(1);
static const sc_field input_fields[] = {
  { "name", &t_string, SC_REQUIRED,
    "The name that must be user to call the model through the API" },
  { "type", &(const sc_type){ .kind = SC_STRING, .enm = &e_input_type }, SC_REQUIRED,
    "The data type of the input" },
  { "allowedValues", &t_any_array, 0,
    "The allowed values for the input. For `string` or `number` types, creates a single-select "
    "dropdown. For `string_array` type, creates a multi-select dropdown." },
  { "backgroundBehavior",
    &(const sc_type){ .kind = SC_STRING, .enm = &e_background_behavior }, 0,
    "Specifies the background behavior for the input. Only available for `file` and `file_array` "
    "input types with kind `image`." },
  { "color", &t_boolean, 0,
    "Whether the input is a color or not. Only available for `string` input type." },
  { "costImpact", &t_boolean, 0, "Whether this input affects the model's cost calculation" },
  { "default", &t_any, 0, "The default value for the input" },
  { "description", &t_string, 0,
    "Help text displayed in the UI to provide additional information about the input" },
  { "group", &t_string, 0,
    "Used to visually group inputs together in the UI. Inputs with the same group value appear "
    "consecutively in the UI." },
  { "hint", &t_string, 0, "Hint text displayed in the UI as a tooltip to guide the user" },
  { "inputs", &(const sc_type){ .kind = SC_ARRAY, .items = &t_any_map }, 0,
    "The list of inputs which form an object within a container array. All inputs are the same "
    "as the current object. This is only available for type inputs_array inputs." },
  { "kind", &(const sc_type){ .kind = SC_STRING, .enm = &e_input_kind }, 0,
    "The asset kind of the input. Only taken into account for `file` and `file_array` input "
    "types. If model provides multiple kinds, the input will be not able to create the asset on "
    "the flight on API side with dataurl without data:kind, prefix" },
  { "label", &t_string, 0, "The label displayed in the UI for this input" },
  { "maskFrom", &t_string, 0, "The name of the file input field to use as the mask source" },
  { "max", &t_number, 0,
    "The maximum allowed value. Only available for `number` and `array` input types." },
  { "maxLength", &t_number, 0,
    "The maximum allowed length for `string` inputs. Also applies to each item in "
    "`string_array`." },
  { "maxSize", &t_number, 0,
    "The maximum allowed file size in bytes. Only applies to `file` and `file_array` input "
    "types. Validated against `asset.properties.size` at job creation time." },
  { "min", &t_number, 0,
    "The minimum allowed value. Only available for `number` and array input types." },
  { "minLength", &t_number, 0,
    "The minimum allowed length for string inputs. Also applies to each item in `string_array`." },
  { "modelTypes", &t_model_types, 0,
    "The allowed model types for this input. Example: `[\"flux.1-lora\"]`. Only available for "
    "`model_array` input type." },
  { "parent", &t_boolean, 0,
    "Whether this input represents a parent asset to assign to the produced assets. Only "
    "available for `file` and `file_array` input types. For `file_array`, the parent asset is "
    "the first item in the array." },
  { "placeholder", &t_string, 0,
    "Placeholder text for the input. Only available for 'string' input type." },
  { "prompt", &t_boolean, 0,
    "Whether the input is a prompt. When true, displays as a text area with prompt spark "
    "feature. Only available for `string` input type." },
  { "promptSpark", &t_boolean, 0,
    "Whether the input is used with prompt spark. Only available for `string` input type." },
  { "required", &(const sc_type){ .kind = SC_OBJECT, FIELDS(input_required_fields) }, 0,
    "Set of rules that describes when this input is required. By default, the input is not "
    "required." },
  { "step", &t_step, 0,
    "The step increment for numeric inputs. Only available for `number` input type." },
};

static const sc_type t_batch_size = NUM_RANGE(1, 4);
static const sc_type t_lr = NUM_ABOVE(0);
static const sc_type t_lr_text_encoder = {
  .kind = SC_NUMBER, .bounds = SC_HAS_MIN | SC_EXCL_MIN | SC_HAS_MAX, .min = 0, .max = 0.001
};
static const sc_type t_steps = NUM_RANGE(0, 40000);
static const sc_type t_epochs30 = NUM_RANGE(1, 30);
/* The page prints "maximum 1.7976931348623157": DBL_MAX with its exponent
 * lost in rendering. A literal 1.797 bound would refuse valid weights. */
static const sc_type t_prior_loss_weight = {
  .kind = SC_NUMBER, .bounds = SC_HAS_MIN | SC_EXCL_MIN | SC_HAS_MAX, .min = 0, .max = DBL_MAX
};
static const sc_type t_unit = NUM_RANGE(0, 1);
static const sc_type t_rank = NUM_RANGE(2, 128);
static const sc_type t_seed = NUM_RANGE(0, 9007199254740991.0);
static const sc_type t_te_ratio = NUM_RANGE(0, 0.99);
static const sc_type t_nonneg = NUM_MIN(0);

static const sc_field parameters_fields[] = {
  { "age", &t_string, 0,
    "Age group of the voice (for professional cloning). Only available for ElevenLabs voice "
    "training" },
  { "batchSize", &t_batch_size, 0,
    "The batch size Less steps, and will increase the learning rate. Only available for Flux "
    "LoRA training" },
  { "classPrompt", &t_string, 0,
    "The prompt to specify images in the same class as provided instance images. Only available "
    "for SD15 training" },
  { "cloneType", &t_string, 0,
    "Type of voice cloning: \"instant\" (fast) or \"professional\" (higher quality, requires "
    "captcha). Only available for ElevenLabs voice training" },
  { "conceptPrompt", &t_string, 0,
    "The prompt with identifier specifying the instance (or subject) of the class (example: \"a "
    "daiton dog\"). Default value varies depending on the model type: For SD1.5: \"daiton\" if "
    "no class is associated with the model; For SDXL: \"daiton\"; For Flux: \"\"" },
  { "gender", &t_string, 0,
    "Gender of the voice (for professional cloning). Only available for ElevenLabs voice "
    "training" },
  { "language", &t_string, 0,
    "Language of the audio samples (ISO 639-1 code). Only available for ElevenLabs voice "
    "training" },
  { "learningRate", &t_lr, 0,
    "Initial learning rate (after the potential warmup period). Default value varies depending "
    "on the model type: For SD1.5 and SDXL: 0.000005; For Flux: 0.0001" },
  { "learningRateTextEncoder", &t_lr_text_encoder, 0,
    "Initial learning rate (after the potential warmup period) for the text encoder. Maximum "
    "[Flux LoRA: 0.001] Default [SDXL: 0.00005 | Flux LoRA: 0.00001] Minimum [SDXL: 0 | Flux "
    "LoRA: 0.000001]" },
  { "learningRateUnet", &t_lr, 0,
    "Initial learning rate (after the potential warmup period) for the UNet. Only available for "
    "SDXL LoRA training" },
  { "lrScheduler", &(const sc_type){ .kind = SC_STRING, .enm = &e_lr_scheduler }, 0,
    "The scheduler type to use (default: \"constant\"). Only available for SD15 and SDXL LoRA "
    "training" },
  { "maxTrainSteps", &t_steps, 0,
    "Maximum number of training steps to execute (default: varies depending on the model type). "
    "For SDXL LoRA training, please use numTextTrainSteps and numUNetTrainSteps instead." },
  { "nbEpochs", &t_epochs30, 0,
    "The number of epochs to train for. Only available for Flux LoRA training" },
  { "nbRepeats", &t_epochs30, 0,
    "The number of times to repeat the training. Only available for Flux LoRA training" },
  { "numTextTrainSteps", &t_steps, 0,
    "The number of training steps for the text encoder. Only available for SDXL LoRA training" },
  { "numUNetTrainSteps", &t_steps, 0,
    "The number of training steps for the UNet. Only available for SDXL LoRA training" },
  { "optimizeFor", &(const sc_type){ .kind = SC_STRING, .enm = &e_optimize_for }, 0,
    "Optimize the model training task for a specific type of input images. The available values "
    "are: \"likeness\": optimize training for likeness or portrait (targets specific transformer "
    "blocks); \"all\": train all transformer blocks; \"none\": train no specific transformer "
    "blocks." },
  { "priorLossWeight", &t_prior_loss_weight, 0,
    "The weight of prior preservation loss. Only available for SD15 and SDXL LoRA training" },
  { "randomCrop", &t_boolean, 0,
    "Whether to random crop or center crop images before resizing to the working resolution. "
    "Only available for SD15 and SDXL LoRA training" },
  { "randomCropRatio", &t_unit, 0,
    "Ratio of random crops. Only available for SD15 and SDXL LoRA training" },
  { "randomCropScale", &t_unit, 0,
    "Scale of random crops. Only available for SD15 and SDXL LoRA training" },
  { "rank", &t_rank, 0,
    "The dimension of the LoRA update matrices. Only available for SDXL (deprecated), Flux LoRA "
    "and Musubi training. Default value varies depending on the model type: For SDXL "
    "(deprecated): 64; For Flux: 16; For Musubi: 64." },
  { "removeBackgroundNoise", &t_boolean, 0,
    "Whether to remove background noise from audio samples before cloning. When enabled, each "
    "sample must be at least 5 seconds long. Only available for ElevenLabs voice training" },
  { "samplePrompts", &t_strings, 0,
    "The prompts to use for each epoch Only available for Flux LoRA training" },
  { "sampleSourceImages", &t_strings, 0,
    "The sample prompt images (AssetIds) paired with samplePrompts Only available for Flux LoRA "
    "training Must be the same length as samplePrompts" },
  { "scaleLr", &t_boolean, 0,
    "Whether to scale the learning rate. Note: Legacy parameter, will be ignored. Only available "
    "for SD15 and SDXL LoRA training" },
  { "seed", &t_seed, 0,
    "Used to reproduce previous results. Default: randomly generated number. Only available for "
    "SD15 and SDXL LoRA training" },
  { "textEncoderTrainingRatio", &t_te_ratio, 0,
    "Whether to train the text encoder or not. Example: For 100 steps and a value of 0.2, it "
    "means that the text encoder will be trained for 20 steps and then the UNet for 80 steps. "
    "Note: Legacy parameter, please use numTextTrainSteps and numUNetTrainSteps. Only available "
    "for SD15 and SDXL LoRA training" },
  { "validationFrequency", &t_nonneg, 0,
    "Validation frequency. Cannot be greater than maxTrainSteps value. Only available for SD15 "
    "and SDXL LoRA training" },
  { "validationPrompt", &t_string, 0,
    "Validation prompt. Only available for SD15 and SDXL LoRA training" },
  { "voiceDescription", &t_string, 0,
    "Description of the voice characteristics. Only available for ElevenLabs voice training" },
  /* "The maximum length is 40 characters", in the field's description. */
  { "wandbKey", &(const sc_type){ .kind = SC_STRING, .max_length = 40 }, 0,
    "The Weights And Bias key to use for logging. The maximum length is 40 characters" },
};
/* The training parameters: in the model object, and the body of a training. */
static const sc_type t_parameters = { .kind = SC_OBJECT, .name = "TrainingParameters", FIELDS(parameters_fields) };

static const sc_field arena_score_fields[] = {
  { "arenaCategory", &t_string, SC_REQUIRED,
    "Arena category (example: \"text_to_image\", \"image_to_video\")" },
  { "arenaModelName", &t_string, SC_REQUIRED, "Model name on arena.ai" },
  { "fetchedAt", &t_string, SC_REQUIRED, "When this score was last fetched (ISO date)" },
  { "rank", &t_number, SC_REQUIRED, "Rank in the arena category" },
  { "rating", &t_number, SC_REQUIRED, "ELO rating" },
  { "ratingLower", &t_number, SC_REQUIRED, "ELO rating confidence interval lower bound" },
  { "ratingUpper", &t_number, SC_REQUIRED, "ELO rating confidence interval upper bound" },
  { "votes", &t_number, SC_REQUIRED, "Number of human votes" },
};

static const sc_field variant_fields[] = {
  { "capability", &t_string, SC_REQUIRED,
    "The generation capability (example: \"txt2img\", \"img2video\", \"txt2audio\")" },
  { "computedAt", &t_string, SC_REQUIRED, "When these stats were last computed (ISO date)" },
  { "variantKey", &t_string, SC_REQUIRED,
    "Unique variant identifier (example: \"txt2img:1K\", \"img2video:2K\", \"txt2audio\")" },
  { "arenaScore", &(const sc_type){ .kind = SC_OBJECT, FIELDS(arena_score_fields) }, 0,
    "External quality score from arena.ai leaderboard" },
  { "costPerAssetMaxCU", &t_number, 0, "Maximum cost per output asset (CU)" },
  { "costPerAssetMinCU", &t_number, 0, "Minimum cost per output asset (CU)" },
  { "costPerAssetP50CU", &t_number, 0, "Median cost per output asset (CU)" },
  { "inferenceLatencyP50Sec", &t_number, 0, "Inference latency P50 per output asset (seconds)" },
  { "inferenceLatencyP75Sec", &t_number, 0, "Inference latency P75 per output asset (seconds)" },
  { "resolution", &t_string, 0,
    "The resolution bucket (example: \"0.5K\", \"1K\", \"2K\", \"4K\")" },
  { "totalLatencyP50Sec", &t_number, 0,
    "Total latency P50 per output asset, including queue time (seconds)" },
  { "totalLatencyP75Sec", &t_number, 0,
    "Total latency P75 per output asset, including queue time (seconds)" },
};

static const sc_field performance_fields[] = {
  { "variants",
    &(const sc_type){ .kind = SC_ARRAY,
                      .items = &(const sc_type){ .kind = SC_OBJECT, FIELDS(variant_fields) } },
    SC_REQUIRED, "Performance metrics per variant" },
  { "default", &t_string, 0, "Default variant key for quick model comparison" },
};

static const sc_field image_pair_fields[] = {
  { "instruction", &t_string, 0, "The instruction for the image pair, source to target" },
  { "sourceId", &t_string, 0, "The source asset ID (must be a training asset)" },
  { "targetId", &t_string, 0, "The target asset ID (must be a training asset)" },
};

static const sc_field training_image_fields[] = {
  { "id", &t_string, SC_REQUIRED,
    "The training image ID (example: \"asset_GTrL3mq4SXWyMxkOHRxlpw\")" },
  { "automaticCaptioning", &t_string, SC_REQUIRED, "Automatic captioning of the image" },
  { "createdAt", &t_string, SC_REQUIRED,
    "The training image upload date as an ISO string (example: \"2023-02-03T11:19:41.579Z\")" },
  { "description", &t_string, SC_REQUIRED, "Description for the image" },
  { "downloadUrl", &t_string, SC_REQUIRED, "The URL of the image" },
  { "name", &t_string, SC_REQUIRED,
    "The original file name of the image (example: \"my-training-image.jpg\")" },
};
/* In the model object, and what adding one returns. */
static const sc_type t_training_image = { .kind = SC_OBJECT, .name = "TrainingImage", FIELDS(training_image_fields) };

static const sc_field training_progress_fields[] = {
  { "stage", &(const sc_type){ .kind = SC_STRING, .enm = &e_training_stage }, SC_REQUIRED,
    "The stage of the request" },
  { "updatedAt", &t_number, SC_REQUIRED,
    "Timestamp in milliseconds of the last time the training progress was updated" },
  { "position", &t_number, 0,
    "Position of the job in the queue (ie. the number of job in the queue before this one)" },
  { "progress", &t_unit, 0, "The progress of the job" },
  { "remainingTimeMs", &t_number, 0, "The remaining time in milliseconds" },
  { "startedAt", &t_number, 0, "The timestamp in millisecond marking the start of the process" },
};

static const sc_field training_stats_fields[] = {
  { "endedAt", &t_string, 0, "The training end time as an ISO date string" },
  { "queueDuration", &t_number, 0, "The training queued duration in seconds" },
  { "startedAt", &t_string, 0, "The training start time as an ISO date string" },
  { "trainDuration", &t_number, 0, "The training duration in seconds" },
};

static const sc_field input_property_fields[] = {
  { "collapsed", &t_boolean, 0, "(No description on the reference page.)" },
};

static const sc_field loras_component_fields[] = {
  { "label", &t_string, SC_REQUIRED, "The label of the component" },
  { "modelInput", &t_string, SC_REQUIRED, "The input name of the model (model_array)" },
  { "scaleInput", &t_string, SC_REQUIRED, "The input name of the scale (number_array)" },
  { "modelIdInput", &t_string, 0,
    "The input model id (example: a composition or a single LoRA modelId) If specified, the "
    "model id will be attached to the output asset as a metadata If the model-decomposer parser "
    "is specified on it, modelInput and scaleInput will be automatically populated" },
};

/* "presets: unknown" carries no "optional", but an unknown value may be
 * null, and null members are dropped; so it cannot be enforced. */
static const sc_field ui_preset_fields[] = {
  { "fields", &t_strings, SC_REQUIRED, "(No description on the reference page.)" },
  { "presets", &t_any, 0, "(No description on the reference page.)" },
};

static const sc_field resolution_preset_fields[] = {
  { "height", &t_number, SC_REQUIRED, "(No description on the reference page.)" },
  { "label", &t_string, SC_REQUIRED, "(No description on the reference page.)" },
  { "width", &t_number, SC_REQUIRED, "(No description on the reference page.)" },
};

static const sc_field resolution_component_fields[] = {
  { "heightInput", &t_string, SC_REQUIRED, "The input name of the height" },
  { "label", &t_string, SC_REQUIRED, "The label of the component" },
  { "presets",
    &(const sc_type){ .kind = SC_ARRAY,
                      .items = &(const sc_type){ .kind = SC_OBJECT,
                                                 FIELDS(resolution_preset_fields) } },
    SC_REQUIRED, "The resolution presets" },
  { "widthInput", &t_string, SC_REQUIRED, "The input name of the width" },
};

static const sc_field trigger_generate_fields[] = {
  { "label", &t_string, SC_REQUIRED, "(No description on the reference page.)" },
  { "after", &t_string, 0,
    "The 'name' of the input where the trigger generate button will be displayed (after the "
    "input). Do not specify both position and after." },
  { "position", &(const sc_type){ .kind = SC_STRING, .enm = &e_trigger_position }, 0,
    "The position of the trigger generate button. If position specified, the button will be "
    "displayed at the specified position. Do not specify both position and after." },
};

static const sc_field ui_config_fields[] = {
  { "inputProperties",
    &(const sc_type){ .kind = SC_MAP,
                      .items = &(const sc_type){ .kind = SC_OBJECT,
                                                 FIELDS(input_property_fields) } },
    0, "Configuration for the input properties" },
  { "lorasComponent", &(const sc_type){ .kind = SC_OBJECT, FIELDS(loras_component_fields) }, 0,
    "Configuration for the loras component" },
  { "presets",
    &(const sc_type){ .kind = SC_ARRAY,
                      .items = &(const sc_type){ .kind = SC_OBJECT, FIELDS(ui_preset_fields) } },
    0, "Configuration for the presets" },
  { "resolutionComponent",
    &(const sc_type){ .kind = SC_OBJECT, FIELDS(resolution_component_fields) }, 0,
    "Configuration for the resolution component" },
  { "selects", &t_any_map, 0, "Configuration for the selects" },
  { "triggerGenerate", &(const sc_type){ .kind = SC_OBJECT, FIELDS(trigger_generate_fields) }, 0,
    "Configuration for the trigger generate button" },
};

static const sc_field model_fields[] = {
  { "id", &t_string, SC_REQUIRED, "The model ID (example: \"model_eyVcnFJcR92BxBkz7N6g5w\")" },
  { "capabilities", &t_capabilities, SC_REQUIRED,
    "List of model capabilities (example: [\"txt2img\", \"img2img\", \"txt2img_ip_adapter\", "
    "...])" },
  { "collectionIds", &t_strings, SC_REQUIRED, "A list of CollectionId this model belongs to" },
  { "createdAt", &t_string, SC_REQUIRED,
    "The model creation date as an ISO string (example: \"2023-02-03T11:19:41.579Z\")" },
  { "custom", &t_boolean, SC_REQUIRED,
    "Whether the model is a custom model and can be used only with POST "
    "/generate/custom/{modelId} endpoint" },
  { "exampleAssetIds", &t_strings, SC_REQUIRED,
    "List of all example asset IDs setup by the model owner" },
  { "privacy", &t_privacy, SC_REQUIRED, "The privacy of the model (default: private)" },
  { "source", &t_source, SC_REQUIRED, "The source of the model" },
  { "status", &t_status, SC_REQUIRED, "The model status" },
  { "tags", &t_strings, SC_REQUIRED, "The associated tags (example: [\"sci-fi\", \"landscape\"])" },
  { "trainingImagesNumber", &t_number, SC_REQUIRED, "The total number of training images" },
  { "type", &t_model_type, SC_REQUIRED, "The model type (example: \"flux.1-lora\")" },
  { "updatedAt", &t_string, SC_REQUIRED,
    "The model last update date as an ISO string (example: \"2023-02-03T11:19:41.579Z\")" },
  { "accessRestrictions", &t_access, 0,
    "The access restrictions of the model 0: Free plan 25: Creator plan 50: Pro plan 75: Team "
    "plan 100: Enterprise plan" },
  { "authorId", &t_string, 0, "The author user ID (example: \"user_VFhihHKMRZyDDnZAJwLb2Q\")" },
  { "class", &(const sc_type){ .kind = SC_OBJECT, FIELDS(class_fields) }, 0,
    "The class of the model" },
  { "compliantModelIds", &t_strings, 0,
    "List of base model IDs compliant with the model (example: [\"flux.1-dev\", "
    "\"flux.1-schnell\"]) This attribute is mainly used for Flux LoRA models" },
  { "concepts", &t_concepts, 0, "The concepts is required for the type model: composition" },
  { "epoch", &t_string, 0,
    "The epoch of the model. Only available for Flux Lora Trained models. If not set, uses the "
    "final model epoch (latest)" },
  { "epochs",
    &(const sc_type){ .kind = SC_ARRAY,
                      .items = &(const sc_type){ .kind = SC_OBJECT, FIELDS(epoch_fields) } },
    0, "The epochs of the model. Only available for Flux Lora Trained models." },
  { "inputs",
    &(const sc_type){ .kind = SC_ARRAY,
                      .items = &(const sc_type){ .kind = SC_OBJECT, FIELDS(input_fields) } },
    0,
    "The inputs of the model. Only used for custom models. To retrieve this list, get it by "
    "modelId with GET /models/{modelId}" },
  { "modelKeyword", &t_string, 0,
    "The model keyword, this is a legacy parameter, please use conceptPrompt in parameters" },
  { "name", &t_string, 0, "The model name (example: \"Cinematic Realism\")" },
  { "negativePromptEmbedding", &t_string, 0,
    "Fine-tune the model's inferences with negative prompt embedding" },
  { "ownerId", &t_string, 0, "The owner ID (example: \"team_VFhihHKMRZyDDnZAJwLb2Q\")" },
  { "parameters", &t_parameters, 0, "The parameters of the model" },
  { "parentModelId", &t_string, 0, "The id of the parent model" },
  { "performanceStats", &(const sc_type){ .kind = SC_OBJECT, FIELDS(performance_fields) }, 0,
    "Aggregated performance stats" },
  { "promptEmbedding", &t_string, 0, "Fine-tune the model's inferences with prompt embedding" },
  { "shortDescription", &t_string, 0,
    "The model short description (example: \"This model generates highly detailed cinematic "
    "scenes.\")" },
  { "softDeletionOn", &t_string, 0,
    "The date when the model will be soft deleted (only for Free plan)" },
  { "thumbnail", &t_asset_ref, 0, "A thumbnail for your model" },
  { "trainingImagePairs",
    &(const sc_type){ .kind = SC_ARRAY,
                      .items = &(const sc_type){ .kind = SC_OBJECT, FIELDS(image_pair_fields) } },
    0, "Array of training image pairs" },
  { "trainingImages", &(const sc_type){ .kind = SC_ARRAY, .items = &t_training_image }, 0,
    "The URLs of the first 3 training images of the model. To retrieve the full set of images, "
    "get it by modelId" },
  { "trainingProgress", &(const sc_type){ .kind = SC_OBJECT, FIELDS(training_progress_fields) }, 0,
    "Additional information about the training progress of the model" },
  { "trainingStats", &(const sc_type){ .kind = SC_OBJECT, FIELDS(training_stats_fields) }, 0,
    "Additional information about the model's training" },
  { "uiConfig", &(const sc_type){ .kind = SC_OBJECT, FIELDS(ui_config_fields) }, 0,
    "The UI configuration for the model" },
  { "userId", &t_string, 0, "(Deprecated) The user ID (example: \"user_VFhihHKMRZyDDnZAJwLb2Q\")" },
};
static const sc_type t_model = { .kind = SC_OBJECT, .name = "Model", FIELDS(model_fields) };

static const sc_field model_envelope_fields[] = {
  { "model", &t_model, SC_REQUIRED, "(No description on the reference page.)" },
};
static const sc_type t_model_envelope = { .kind = SC_OBJECT, .name = "ModelEnvelope", FIELDS(model_envelope_fields) };

#endif
