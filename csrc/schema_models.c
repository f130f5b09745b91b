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
  { "modelId", &t_string, SC_REQUIRED },
  { "scale", &t_scale, SC_REQUIRED },
  { "modelEpoch", &t_string, 0 },
};
static const sc_type t_concept = { .kind = SC_OBJECT, FIELDS(concept_fields) };
static const sc_type t_concepts = { .kind = SC_ARRAY, .items = &t_concept };

/* ---- POST /models body and query ---------------------------------------- */

static const sc_type t_name64 = { .kind = SC_STRING, .max_length = 64 };
static const sc_type t_desc256 = { .kind = SC_STRING, .max_length = 256 };

static const sc_field create_body_fields[] = {
  { "baseModelId", &t_string, 0 },
  { "classSlug", &t_string, SC_NULLABLE },
  { "collectionIds", &t_strings, 0 },
  { "concepts", &t_concepts, 0 },
  { "name", &t_name64, 0 },
  { "shortDescription", &t_desc256, 0 },
  { "type", &t_model_type, 0 },
};
static const sc_type t_create_body = { .kind = SC_OBJECT, FIELDS(create_body_fields) };

/* POST-models.md lists only originalAssets; projectId is the ownership
 * parameter every neighbouring /models endpoint documents, and part of the
 * client's contract (scenario.new{project_id = ...}). */
static const sc_field model_query_fields[] = {
  { "originalAssets", &t_boolean, 0 },
  { "projectId", &t_string, 0 },
};
static const sc_type t_model_query = { .kind = SC_OBJECT, FIELDS(model_query_fields) };

/* ---- the model object (responses) --------------------------------------- */

static const sc_type t_capabilities = {
  .kind = SC_ARRAY, .items = &(const sc_type){ .kind = SC_STRING, .enm = &e_capability }
};
static const sc_type t_privacy = { .kind = SC_STRING, .enm = &e_privacy };
static const sc_type t_source = { .kind = SC_STRING, .enm = &e_source };
static const sc_type t_status = { .kind = SC_STRING, .enm = &e_status };
static const sc_type t_access = { .kind = SC_INTENUM, .enm = &e_access_restrictions };

static const sc_field class_fields[] = {
  { "category", &t_string, SC_REQUIRED },
  { "conceptPrompt", &t_string, SC_REQUIRED },
  { "modelId", &t_string, SC_REQUIRED },
  { "name", &t_string, SC_REQUIRED },
  { "prompt", &t_string, SC_REQUIRED },
  { "slug", &t_string, SC_REQUIRED },
  { "status", &(const sc_type){ .kind = SC_STRING, .enm = &e_class_status }, SC_REQUIRED },
  { "thumbnails", &t_strings, SC_REQUIRED },
};

static const sc_field asset_ref_fields[] = {
  { "assetId", &t_string, SC_REQUIRED },
  { "url", &t_string, SC_REQUIRED },
};
static const sc_type t_asset_ref = { .kind = SC_OBJECT, FIELDS(asset_ref_fields) };

static const sc_field epoch_fields[] = {
  { "epoch", &t_string, SC_REQUIRED },
  { "assets", &(const sc_type){ .kind = SC_ARRAY, .items = &t_asset_ref }, 0 },
};

static const sc_field input_required_fields[] = {
  { "always", &t_boolean, 0 },
  { "conditionalValues", &t_any, 0 },
  { "ifDefined", &t_any, 0 },
  { "ifNotDefined", &t_any, 0 },
};

static const sc_type t_step = NUM_MIN(1);
static const sc_field input_fields[] = {
  { "name", &t_string, SC_REQUIRED },
  { "type", &(const sc_type){ .kind = SC_STRING, .enm = &e_input_type }, SC_REQUIRED },
  { "allowedValues", &t_any_array, 0 },
  { "backgroundBehavior",
    &(const sc_type){ .kind = SC_STRING, .enm = &e_background_behavior }, 0 },
  { "color", &t_boolean, 0 },
  { "costImpact", &t_boolean, 0 },
  { "default", &t_any, 0 },
  { "description", &t_string, 0 },
  { "group", &t_string, 0 },
  { "hint", &t_string, 0 },
  { "inputs", &(const sc_type){ .kind = SC_ARRAY, .items = &t_any_map }, 0 },
  { "kind", &(const sc_type){ .kind = SC_STRING, .enm = &e_input_kind }, 0 },
  { "label", &t_string, 0 },
  { "maskFrom", &t_string, 0 },
  { "max", &t_number, 0 },
  { "maxLength", &t_number, 0 },
  { "maxSize", &t_number, 0 },
  { "min", &t_number, 0 },
  { "minLength", &t_number, 0 },
  { "modelTypes", &t_model_types, 0 },
  { "parent", &t_boolean, 0 },
  { "placeholder", &t_string, 0 },
  { "prompt", &t_boolean, 0 },
  { "promptSpark", &t_boolean, 0 },
  { "required", &(const sc_type){ .kind = SC_OBJECT, FIELDS(input_required_fields) }, 0 },
  { "step", &t_step, 0 },
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
  { "age", &t_string, 0 },
  { "batchSize", &t_batch_size, 0 },
  { "classPrompt", &t_string, 0 },
  { "cloneType", &t_string, 0 },
  { "conceptPrompt", &t_string, 0 },
  { "gender", &t_string, 0 },
  { "language", &t_string, 0 },
  { "learningRate", &t_lr, 0 },
  { "learningRateTextEncoder", &t_lr_text_encoder, 0 },
  { "learningRateUnet", &t_lr, 0 },
  { "lrScheduler", &(const sc_type){ .kind = SC_STRING, .enm = &e_lr_scheduler }, 0 },
  { "maxTrainSteps", &t_steps, 0 },
  { "nbEpochs", &t_epochs30, 0 },
  { "nbRepeats", &t_epochs30, 0 },
  { "numTextTrainSteps", &t_steps, 0 },
  { "numUNetTrainSteps", &t_steps, 0 },
  { "optimizeFor", &(const sc_type){ .kind = SC_STRING, .enm = &e_optimize_for }, 0 },
  { "priorLossWeight", &t_prior_loss_weight, 0 },
  { "randomCrop", &t_boolean, 0 },
  { "randomCropRatio", &t_unit, 0 },
  { "randomCropScale", &t_unit, 0 },
  { "rank", &t_rank, 0 },
  { "removeBackgroundNoise", &t_boolean, 0 },
  { "samplePrompts", &t_strings, 0 },
  { "sampleSourceImages", &t_strings, 0 },
  { "scaleLr", &t_boolean, 0 },
  { "seed", &t_seed, 0 },
  { "textEncoderTrainingRatio", &t_te_ratio, 0 },
  { "validationFrequency", &t_nonneg, 0 },
  { "validationPrompt", &t_string, 0 },
  { "voiceDescription", &t_string, 0 },
  /* "The maximum length is 40 characters", in the field's description. */
  { "wandbKey", &(const sc_type){ .kind = SC_STRING, .max_length = 40 }, 0 },
};
/* The training parameters: in the model object, and the body of a training. */
static const sc_type t_parameters = { .kind = SC_OBJECT, FIELDS(parameters_fields) };

static const sc_field arena_score_fields[] = {
  { "arenaCategory", &t_string, SC_REQUIRED },
  { "arenaModelName", &t_string, SC_REQUIRED },
  { "fetchedAt", &t_string, SC_REQUIRED },
  { "rank", &t_number, SC_REQUIRED },
  { "rating", &t_number, SC_REQUIRED },
  { "ratingLower", &t_number, SC_REQUIRED },
  { "ratingUpper", &t_number, SC_REQUIRED },
  { "votes", &t_number, SC_REQUIRED },
};

static const sc_field variant_fields[] = {
  { "capability", &t_string, SC_REQUIRED },
  { "computedAt", &t_string, SC_REQUIRED },
  { "variantKey", &t_string, SC_REQUIRED },
  { "arenaScore", &(const sc_type){ .kind = SC_OBJECT, FIELDS(arena_score_fields) }, 0 },
  { "costPerAssetMaxCU", &t_number, 0 },
  { "costPerAssetMinCU", &t_number, 0 },
  { "costPerAssetP50CU", &t_number, 0 },
  { "inferenceLatencyP50Sec", &t_number, 0 },
  { "inferenceLatencyP75Sec", &t_number, 0 },
  { "resolution", &t_string, 0 },
  { "totalLatencyP50Sec", &t_number, 0 },
  { "totalLatencyP75Sec", &t_number, 0 },
};

static const sc_field performance_fields[] = {
  { "variants",
    &(const sc_type){ .kind = SC_ARRAY,
                      .items = &(const sc_type){ .kind = SC_OBJECT, FIELDS(variant_fields) } },
    SC_REQUIRED },
  { "default", &t_string, 0 },
};

static const sc_field image_pair_fields[] = {
  { "instruction", &t_string, 0 },
  { "sourceId", &t_string, 0 },
  { "targetId", &t_string, 0 },
};

static const sc_field training_image_fields[] = {
  { "id", &t_string, SC_REQUIRED },
  { "automaticCaptioning", &t_string, SC_REQUIRED },
  { "createdAt", &t_string, SC_REQUIRED },
  { "description", &t_string, SC_REQUIRED },
  { "downloadUrl", &t_string, SC_REQUIRED },
  { "name", &t_string, SC_REQUIRED },
};
/* In the model object, and what adding one returns. */
static const sc_type t_training_image = { .kind = SC_OBJECT, FIELDS(training_image_fields) };

static const sc_field training_progress_fields[] = {
  { "stage", &(const sc_type){ .kind = SC_STRING, .enm = &e_training_stage }, SC_REQUIRED },
  { "updatedAt", &t_number, SC_REQUIRED },
  { "position", &t_number, 0 },
  { "progress", &t_unit, 0 },
  { "remainingTimeMs", &t_number, 0 },
  { "startedAt", &t_number, 0 },
};

static const sc_field training_stats_fields[] = {
  { "endedAt", &t_string, 0 },
  { "queueDuration", &t_number, 0 },
  { "startedAt", &t_string, 0 },
  { "trainDuration", &t_number, 0 },
};

static const sc_field input_property_fields[] = {
  { "collapsed", &t_boolean, 0 },
};

static const sc_field loras_component_fields[] = {
  { "label", &t_string, SC_REQUIRED },
  { "modelInput", &t_string, SC_REQUIRED },
  { "scaleInput", &t_string, SC_REQUIRED },
  { "modelIdInput", &t_string, 0 },
};

/* "presets: unknown" carries no "optional", but an unknown value may be
 * null, and null members are dropped; so it cannot be enforced. */
static const sc_field ui_preset_fields[] = {
  { "fields", &t_strings, SC_REQUIRED },
  { "presets", &t_any, 0 },
};

static const sc_field resolution_preset_fields[] = {
  { "height", &t_number, SC_REQUIRED },
  { "label", &t_string, SC_REQUIRED },
  { "width", &t_number, SC_REQUIRED },
};

static const sc_field resolution_component_fields[] = {
  { "heightInput", &t_string, SC_REQUIRED },
  { "label", &t_string, SC_REQUIRED },
  { "presets",
    &(const sc_type){ .kind = SC_ARRAY,
                      .items = &(const sc_type){ .kind = SC_OBJECT,
                                                 FIELDS(resolution_preset_fields) } },
    SC_REQUIRED },
  { "widthInput", &t_string, SC_REQUIRED },
};

static const sc_field trigger_generate_fields[] = {
  { "label", &t_string, SC_REQUIRED },
  { "after", &t_string, 0 },
  { "position", &(const sc_type){ .kind = SC_STRING, .enm = &e_trigger_position }, 0 },
};

static const sc_field ui_config_fields[] = {
  { "inputProperties",
    &(const sc_type){ .kind = SC_MAP,
                      .items = &(const sc_type){ .kind = SC_OBJECT,
                                                 FIELDS(input_property_fields) } },
    0 },
  { "lorasComponent", &(const sc_type){ .kind = SC_OBJECT, FIELDS(loras_component_fields) }, 0 },
  { "presets",
    &(const sc_type){ .kind = SC_ARRAY,
                      .items = &(const sc_type){ .kind = SC_OBJECT, FIELDS(ui_preset_fields) } },
    0 },
  { "resolutionComponent",
    &(const sc_type){ .kind = SC_OBJECT, FIELDS(resolution_component_fields) }, 0 },
  { "selects", &t_any_map, 0 },
  { "triggerGenerate", &(const sc_type){ .kind = SC_OBJECT, FIELDS(trigger_generate_fields) }, 0 },
};

static const sc_field model_fields[] = {
  { "id", &t_string, SC_REQUIRED },
  { "capabilities", &t_capabilities, SC_REQUIRED },
  { "collectionIds", &t_strings, SC_REQUIRED },
  { "createdAt", &t_string, SC_REQUIRED },
  { "custom", &t_boolean, SC_REQUIRED },
  { "exampleAssetIds", &t_strings, SC_REQUIRED },
  { "privacy", &t_privacy, SC_REQUIRED },
  { "source", &t_source, SC_REQUIRED },
  { "status", &t_status, SC_REQUIRED },
  { "tags", &t_strings, SC_REQUIRED },
  { "trainingImagesNumber", &t_number, SC_REQUIRED },
  { "type", &t_model_type, SC_REQUIRED },
  { "updatedAt", &t_string, SC_REQUIRED },
  { "accessRestrictions", &t_access, 0 },
  { "authorId", &t_string, 0 },
  { "class", &(const sc_type){ .kind = SC_OBJECT, FIELDS(class_fields) }, 0 },
  { "compliantModelIds", &t_strings, 0 },
  { "concepts", &t_concepts, 0 },
  { "epoch", &t_string, 0 },
  { "epochs",
    &(const sc_type){ .kind = SC_ARRAY,
                      .items = &(const sc_type){ .kind = SC_OBJECT, FIELDS(epoch_fields) } },
    0 },
  { "inputs",
    &(const sc_type){ .kind = SC_ARRAY,
                      .items = &(const sc_type){ .kind = SC_OBJECT, FIELDS(input_fields) } },
    0 },
  { "modelKeyword", &t_string, 0 },
  { "name", &t_string, 0 },
  { "negativePromptEmbedding", &t_string, 0 },
  { "ownerId", &t_string, 0 },
  { "parameters", &t_parameters, 0 },
  { "parentModelId", &t_string, 0 },
  { "performanceStats", &(const sc_type){ .kind = SC_OBJECT, FIELDS(performance_fields) }, 0 },
  { "promptEmbedding", &t_string, 0 },
  { "shortDescription", &t_string, 0 },
  { "softDeletionOn", &t_string, 0 },
  { "thumbnail", &t_asset_ref, 0 },
  { "trainingImagePairs",
    &(const sc_type){ .kind = SC_ARRAY,
                      .items = &(const sc_type){ .kind = SC_OBJECT, FIELDS(image_pair_fields) } },
    0 },
  { "trainingImages", &(const sc_type){ .kind = SC_ARRAY, .items = &t_training_image }, 0 },
  { "trainingProgress", &(const sc_type){ .kind = SC_OBJECT, FIELDS(training_progress_fields) }, 0 },
  { "trainingStats", &(const sc_type){ .kind = SC_OBJECT, FIELDS(training_stats_fields) }, 0 },
  { "uiConfig", &(const sc_type){ .kind = SC_OBJECT, FIELDS(ui_config_fields) }, 0 },
  { "userId", &t_string, 0 },
};
static const sc_type t_model = { .kind = SC_OBJECT, FIELDS(model_fields) };

static const sc_field model_envelope_fields[] = {
  { "model", &t_model, SC_REQUIRED },
};
static const sc_type t_model_envelope = { .kind = SC_OBJECT, FIELDS(model_envelope_fields) };

#endif
