/*
 * The request and response types of the endpoints that use a trained
 * model (issue #23): generate (generate.custom.md, generate.txt2img.md,
 * generate.img2img.md), jobs (jobs.retrieve.md, jobs.list.md,
 * jobs.action.md) and assets (assets.retrieve.md, assets.upload.md), from
 * ../shared/api/reference/. #included after schema_endpoints.c, whose job
 * object it reuses: jobs.retrieve.md describes the same object as
 * models.train.trigger.md, which has a few more members (metadata.hint,
 * billing...), and one more job type ("splat"): the one Job type keeps
 * them all, since a response may carry any of them and a request's filter
 * (list_jobs' type) must not refuse a value a page documents.
 *
 * These pages rest mostly on a Swagger export, which types every query
 * parameter as a string; as on the neighbouring pages, a flag is a boolean
 * and a page size a number (the same bytes in the query), and the prose's
 * limits are bounds. Enums and fields are in the pages' order.
 */
#ifndef SCENARIO_SCHEMA_GENERATE_C
#define SCENARIO_SCHEMA_GENERATE_C

#include "common.h"

#include "schema_endpoints.c"

/* ---- enums ------------------------------------------------------------ */

static const char *const aspect_ratio_values[] = {
  "16:9", "1:1", "21:9", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "9:21", NULL
};
static const char *const scheduler_values[] = {
  "DDIMScheduler", "DDPMScheduler", "DEISMultistepScheduler", "DPMSolverMultistepScheduler",
  "DPMSolverSinglestepScheduler", "EulerAncestralDiscreteScheduler", "EulerDiscreteScheduler",
  "HeunDiscreteScheduler", "KDPM2AncestralDiscreteScheduler", "KDPM2DiscreteScheduler",
  "LCMScheduler", "LMSDiscreteScheduler", "PNDMScheduler", "TCDScheduler",
  "UniPCMultistepScheduler", NULL
};
static const char *const inference_type_values[] = {
  "txt2img", "txt2img_ip_adapter", "txt2img_texture", "img2img", "img2img_ip_adapter",
  "img2img_texture", "inpaint", "outpaint", "inpaint_ip_adapter", "controlnet",
  "controlnet_ip_adapter", "reference", "reference_texture", "controlnet_reference",
  "controlnet_img2img", "controlnet_inpaint", "controlnet_inpaint_ip_adapter",
  "controlnet_texture", NULL
};
/* jobs.action.md: "Today only cancel on inference jobs is supported." */
static const char *const job_action_values[] = { "cancel", NULL };
static const char *const edit_capability_values[] = {
  "DETECTION", "GENERATIVE_FILL", "PIXELATE", "PROMPT_EDITING", "REFINE", "REFRAME",
  "REMOVE_BACKGROUND", "SEGMENTATION", "UPSCALE", "UPSCALE_360", "VECTORIZATION", NULL
};
/* The Swagger export's 64: as many as a lookup holds (SC_LOOKUP_MAX). */
static const char *const asset_source_values[] = {
  "3d23d", "3d23d:texture", "audio2audio", "background-removal", "canvas", "canvas-drawing",
  "canvas-export", "detection", "generative-fill", "image-prompt-editing", "img23d", "img2img",
  "img2video", "inference-control-net", "inference-control-net-img",
  "inference-control-net-inpainting", "inference-control-net-inpainting-ip-adapter",
  "inference-control-net-ip-adapter", "inference-control-net-reference",
  "inference-control-net-texture", "inference-img", "inference-img-ip-adapter",
  "inference-img-texture", "inference-in-paint", "inference-in-paint-ip-adapter",
  "inference-reference", "inference-reference-texture", "inference-txt",
  "inference-txt-ip-adapter", "inference-txt-texture", "patch", "pixelization", "reframe",
  "restyle", "segment", "segmentation-image", "segmentation-mask", "skybox-3d",
  "skybox-base-360", "skybox-hdri", "texture", "texture:albedo", "texture:ao", "texture:edge",
  "texture:height", "texture:metallic", "texture:normal", "texture:smoothness", "txt23d",
  "txt2audio", "txt2img", "txt2video", "unknown", "uploaded", "uploaded-3d", "uploaded-audio",
  "uploaded-avatar", "uploaded-video", "upscale", "upscale-skybox", "upscale-texture",
  "upscale-video", "vectorization", "video2video", NULL
};
static const char *const asset_status_values[] = { "error", "pending", "success", NULL };
static const char *const audio_classification_values[] = {
  "effect", "interview", "music", "other", "sound", "speech", "text", "unknown", NULL
};

static const sc_enum e_aspect_ratio = STRENUM("aspect_ratio", aspect_ratio_values);
static const sc_enum e_scheduler = STRENUM("scheduler", scheduler_values);
static const sc_enum e_inference_type = STRENUM("inference_type", inference_type_values);
static const sc_enum e_job_action = STRENUM("job_action", job_action_values);
static const sc_enum e_edit_capability = STRENUM("edit_capability", edit_capability_values);
static const sc_enum e_asset_source = STRENUM("asset_source", asset_source_values);
static const sc_enum e_asset_status = STRENUM("asset_status", asset_status_values);
static const sc_enum e_audio_classification =
  STRENUM("audio_classification", audio_classification_values);

/* ---- shared ------------------------------------------------------------- */

static const sc_type t_numbers = { .kind = SC_ARRAY, .items = &t_number };
static const sc_type t_number_map = { .kind = SC_MAP, .items = &t_number };

#define PROJECT_DOC \
  "The projectId used for ownership resource management. Either to assert ownership or to set " \
  "the owner of the resource(s)"
#define ORIGINAL_ASSETS_DOC "If set to true, returns the original asset without transformation"

/* ---- POST /generate/custom/{modelId} (generate.custom.md) ----------------- */

/* "The body is a flat object whose keys are the `name`s of the model's
 * `inputs`": any member, any JSON value. Which names and values a model
 * takes is its inputs' (GET /models/{modelId}), not this schema's. */
static const sc_type t_generate_body = { .kind = SC_MAP, .items = &t_any };

/* "dryRun?: string" on the pages, with no description; the official
 * Blender plugin sends "true" for a quote, and also tries "api". Any
 * scalar, then, as train_model's: true and "true" send the same bytes. */
#define DRY_RUN_FIELD \
  { "dryRun", &t_any, 0, \
    "Set to true to get a price quote without generating: the answer is then HTTP 269, with the " \
    "cost, and nothing is made." }

/* projectId: "sent in the query by the SDK per the Blender plugin's
 * contract tests" (not in the Swagger export). */
static const sc_field generate_custom_query_fields[] = {
  DRY_RUN_FIELD,
  { "projectId", &t_string, 0, PROJECT_DOC },
};
static const sc_type t_generate_custom_query = {
  .kind = SC_OBJECT, .name = "GenerateCustomQuery", FIELDS(generate_custom_query_fields)
};

static const sc_field generate_response_fields[] = {
  { "job", &t_job, SC_REQUIRED, "The created job: poll it with get_job." },
  { "creativeUnitsCost", &t_number, 0, "The Creative Units cost for the request billed" },
  { "creativeUnitsDiscount", &t_number, 0, "The Creative Units discount for the request billed" },
};
static const sc_type t_generate_response = {
  .kind = SC_OBJECT, .name = "GenerateCustomResponse", FIELDS(generate_response_fields)
};

/* The answer to a dry run of any of the three (HTTP 269): the Swagger
 * export's DryRunResponse requires creativeUnitsCost only; costDetails is
 * in the Blender plugin's recordings alone ({"custom-generation": 9,
 * "quality-gate": 1.75}). */
static const sc_field dry_run_fields[] = {
  { "creativeUnitsCost", &t_number, SC_REQUIRED, "The Creative Units cost for the request billed" },
  { "creativeUnitsDiscount", &t_number, 0, "The Creative Units discount for the request billed" },
  { "costDetails", &t_number_map, 0,
    "The cost by part of the request, in Creative Units (example: {\"custom-generation\": 9, "
    "\"quality-gate\": 1.75})" },
};
static const sc_type t_dry_run = { .kind = SC_OBJECT, .name = "DryRunResponse", FIELDS(dry_run_fields) };

/* ---- POST /generate/txt2img and /generate/img2img ------------------------- */

/* The pages print the bounds of each model type in the text, and the
 * widest as the field's minimum and maximum: those are checked, the rest
 * (and "must be a 8 multiple") is the server's. */
static const sc_type t_guidance = NUM_RANGE(0, 20);
static const sc_type t_image_side = NUM_RANGE(64, 2048);
static const sc_type t_negative_strength = NUM_RANGE(0, 10);
static const sc_type t_inference_steps = NUM_RANGE(1, 150);
static const sc_type t_num_samples = NUM_RANGE(1, 128);
static const sc_type t_strength = NUM_RANGE(0.01, 1);
static const sc_type t_aspect_ratio = { .kind = SC_STRING, .enm = &e_aspect_ratio };
static const sc_type t_scheduler = { .kind = SC_STRING, .enm = &e_scheduler };

/* The fields the two bodies and the inference they echo share, each
 * written once. flags: SC_REQUIRED where the type requires it. */
#define F_MODEL_ID(flags) { "modelId", &t_string, flags, "The model id to use for the inference" }
#define F_PROMPT(flags) \
  { "prompt", &t_string, flags, \
    "Full text prompt including the model placeholder. (example: \"an illustration of phoenix in " \
    "a fantasy world, flying over a mountain, 8k, bokeh effect\")" }
#define F_ASPECT_RATIO \
  { "aspectRatio", &t_aspect_ratio, 0, \
    "The aspect ratio of the generated images. Only used for the model flux.1.1-pro-ultra. The " \
    "aspect ratio is a string formatted as \"width:height\" (example: \"16:9\"). (default: \"1:1\")" }
#define F_BASE_MODEL_ID \
  { "baseModelId", &t_string, 0, \
    "The base model to use for the inference. Only Flux LoRA models can use this parameter. " \
    "Allowed values are available in the model's attribute: `compliantModelIds`" }
/* The items are the concepts of POST-models.md: scale from -2 to 2 here too. */
#define F_CONCEPTS { "concepts", &t_concepts, 0, "(No description on the reference page.)" }
#define F_GUIDANCE \
  { "guidance", &t_guidance, 0, \
    "Controls how closely the generated image follows the prompt. Higher values result in " \
    "stronger adherence to the prompt. Default and allowed values depend on the model type: For " \
    "Flux dev models, the default is 3.5 and allowed values are within [0, 10]; For Flux pro " \
    "models, the default is 3 and allowed values are within [2, 5]; For SDXL models, the default " \
    "is 6 and allowed values are within [0, 20]; For SD1.5 models, the default is 7.5 and " \
    "allowed values are within [0, 20]" }
#define SIDE_DOC(side) \
  "The " side " of the generated images, must be a 8 multiple (within [64, 2048], default: 512) " \
  "If model.type is `sd-xl`, `sd-xl-lora`, `sd-xl-composition` the " side " must be within " \
  "[512, 2048] If model.type is `sd-1_5`, the " side " must be within [64, 1024] If model.type " \
  "is `flux.1.1-pro-ultra`, you can use the aspectRatio parameter instead"
#define F_HEIGHT { "height", &t_image_side, 0, SIDE_DOC("height") }
#define F_HIDE_RESULTS \
  { "hideResults", &t_boolean, 0, \
    "If set, generated assets will be hidden and not returned in the list of images of the " \
    "inference or when listing assets (default: false)" }
#define F_INTERMEDIATE_IMAGES \
  { "intermediateImages", &t_boolean, 0, \
    "Enable or disable the intermediate images generation (default: false)" }
#define F_MODEL_EPOCH \
  { "modelEpoch", &t_string, 0, \
    "The epoch of the model to use for the inference. Only available for Flux Lora Trained " \
    "models." }
#define F_NEGATIVE_PROMPT \
  { "negativePrompt", &t_string, 0, \
    "The prompt not to guide the image generation, ignored when guidance < 1 (example: \"((ugly " \
    "face))\") For Flux based model (not Fast-Flux): requires negativePromptStrength > 0 and " \
    "active only for inference types txt2img / img2img / controlnet." }
#define F_NEGATIVE_STRENGTH \
  { "negativePromptStrength", &t_negative_strength, 0, \
    "Only applicable for flux-dev based models for `txt2img`, `img2img`, and `controlnet` " \
    "inference types. Controls the influence of the negative prompt. Default 0 means the " \
    "negative prompt has no effect. Higher values increase negative prompt influence. Must be > " \
    "0 if negativePrompt is provided." }
#define F_INFERENCE_STEPS \
  { "numInferenceSteps", &t_inference_steps, 0, \
    "The number of denoising steps for each image generation (within [1, 150], default: 30)" }
#define F_NUM_SAMPLES \
  { "numSamples", &t_num_samples, 0, \
    "The number of images to generate (within [1, 128], default: 4)" }
#define F_SCHEDULER \
  { "scheduler", &t_scheduler, 0, \
    "The scheduler to use to override the default configured for the model. See detailed " \
    "documentation for more details." }
/* A string in the Swagger export; the older guide says integer. The
 * export is the schema: a seed is sent as a string ("42"). */
#define F_SEED \
  { "seed", &t_string, 0, "Used to reproduce previous results. Default: randomly generated number." }
#define F_WIDTH { "width", &t_image_side, 0, SIDE_DOC("width") }

/* generate.txt2img.md: "The Swagger export types every query parameter as
 * `string`"; projectId is not declared there for this operation, but it
 * is the client's contract (scenario.new{project_id = ...}) for every
 * endpoint, and the SDK sends it on the others. */
static const sc_field generate_query_fields[] = {
  { "originalAssets", &t_boolean, 0, ORIGINAL_ASSETS_DOC },
  DRY_RUN_FIELD,
  { "projectId", &t_string, 0, PROJECT_DOC },
};
static const sc_type t_generate_query = {
  .kind = SC_OBJECT, .name = "GenerateQuery", FIELDS(generate_query_fields)
};

static const sc_field txt2img_body_fields[] = {
  F_MODEL_ID(SC_REQUIRED), F_PROMPT(SC_REQUIRED), F_ASPECT_RATIO, F_BASE_MODEL_ID, F_CONCEPTS,
  F_GUIDANCE, F_HEIGHT, F_HIDE_RESULTS, F_INTERMEDIATE_IMAGES, F_MODEL_EPOCH, F_NEGATIVE_PROMPT,
  F_NEGATIVE_STRENGTH, F_INFERENCE_STEPS, F_NUM_SAMPLES, F_SCHEDULER, F_SEED, F_WIDTH,
};
static const sc_type t_txt2img_body = { .kind = SC_OBJECT, .name = "Txt2imgBody", FIELDS(txt2img_body_fields) };

/* txt2img's, less aspectRatio, plus the image and strength. */
static const sc_field img2img_body_fields[] = {
  F_MODEL_ID(SC_REQUIRED), F_PROMPT(SC_REQUIRED), F_BASE_MODEL_ID, F_CONCEPTS, F_GUIDANCE,
  F_HEIGHT, F_HIDE_RESULTS,
  { "image", &t_string, 0,
    "The input image as a data URL (example: \"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAA"
    "AABCAQAAAC1HAwCAAAAC0lEQVQYV2NgYAAAAAMAAWgmWQ0AAAAASUVORK5CYII=\") or the asset ID (example: "
    "\"asset_GTrL3mq4SXWyMxkOHRxlpw\")" },
  { "imageHide", &t_boolean, 0,
    "Toggles the hidden status of the image when provided as a dataurl. (default: false)" },
  { "imageId", &t_string, 0,
    "Deprecated: The input image as an AssetId. Prefer to use image with the asset ID instead." },
  { "imageParentId", &t_string, 0,
    "Specifies the parent asset Id for the image when provided as a dataurl." },
  F_INTERMEDIATE_IMAGES, F_MODEL_EPOCH, F_NEGATIVE_PROMPT, F_NEGATIVE_STRENGTH, F_INFERENCE_STEPS,
  F_NUM_SAMPLES, F_SCHEDULER, F_SEED,
  { "strength", &t_strength, 0,
    "Controls the noise intensity introduced to the input image, where a value of 1.0 completely "
    "erases the original image's details. Available for img2img and inpainting. (within [0.01, "
    "1.0], default: 0.75)" },
  F_WIDTH,
};
static const sc_type t_img2img_body = { .kind = SC_OBJECT, .name = "Img2imgBody", FIELDS(img2img_body_fields) };

/* "echoes the inference parameters", required: prompt and type; img2img's
 * answer is "the same shape as for txt2img". */
static const sc_field inference_fields[] = {
  F_PROMPT(SC_REQUIRED),
  { "type", &(const sc_type){ .kind = SC_STRING, .enm = &e_inference_type }, SC_REQUIRED,
    "The type of inference to use. Example: txt2img, img2img, etc. Selecting the right type will "
    "condition the expected parameters. Note: if model.type is `sd-xl*` or `sd-1_5*`, when using "
    "the `\"inpaint\"` inference type, Scenario determines the best available `baseModel` for a "
    "given `modelId`: one of `[\"stable-diffusion-inpainting\", "
    "\"stable-diffusion-xl-1.0-inpainting-0.1\"]` will be used." },
  F_ASPECT_RATIO, F_BASE_MODEL_ID, F_CONCEPTS, F_GUIDANCE, F_HEIGHT, F_HIDE_RESULTS,
  F_INTERMEDIATE_IMAGES, F_MODEL_EPOCH, F_NEGATIVE_PROMPT, F_NEGATIVE_STRENGTH, F_INFERENCE_STEPS,
  F_NUM_SAMPLES, F_SCHEDULER, F_SEED, F_WIDTH,
};
static const sc_type t_inference = { .kind = SC_OBJECT, .name = "Inference", FIELDS(inference_fields) };

static const sc_field inference_response_fields[] = {
  { "inference", &t_inference, SC_REQUIRED, "The inference, as the request set it." },
  { "job", &t_job, SC_REQUIRED,
    "The job created for the generation. Poll it with GET /jobs/{jobId}." },
  { "creativeUnitsCost", &t_number, 0, "The Creative Units cost for the request billed" },
  { "creativeUnitsDiscount", &t_number, 0, "The Creative Units discount for the request billed" },
};
static const sc_type t_inference_response = {
  .kind = SC_OBJECT, .name = "InferenceResponse", FIELDS(inference_response_fields)
};

/* ---- GET /jobs/{jobId}, POST /jobs/{jobId}/action (jobs.*.md) ------------ */

static const sc_field job_envelope_fields[] = {
  { "job", &t_job, SC_REQUIRED, "(No description on the reference page.)" },
};
static const sc_type t_job_envelope = { .kind = SC_OBJECT, .name = "JobEnvelope", FIELDS(job_envelope_fields) };

/* "The Swagger export does not mark `action` as required." */
static const sc_field job_action_body_fields[] = {
  { "action", &(const sc_type){ .kind = SC_STRING, .enm = &e_job_action }, 0,
    "The action to execute on the job, such as canceling it. Today only cancel on inference jobs "
    "is supported." },
};
static const sc_type t_job_action_body = {
  .kind = SC_OBJECT, .name = "JobActionBody", FIELDS(job_action_body_fields)
};

/* ---- GET /jobs (jobs.list.md) --------------------------------------------- */

/* "The default value is 10, maximum value is 200, minimum value is 1" */
static const sc_type t_jobs_page_size = NUM_RANGE(1, 200);

/* status, type and types take the job's own values: the page names none
 * for the filters but points to the job's enums. */
static const sc_field list_jobs_query_fields[] = {
  { "authorId", &t_string, 0, "The authorId of the jobs to return. Optional." },
  { "hideResults", &t_boolean, 0,
    "If false, jobs containing the hideResults param will be not returned. Optional." },
  { "pageSize", &t_jobs_page_size, 0,
    "The number of items to return in the response. The default value is 10, maximum value is "
    "200, minimum value is 1" },
  { "paginationToken", &t_string, 0,
    "A token you received in a previous request to query the next page of items" },
  { "status", &t_job_status, 0, "The status of the jobs to return. Optional." },
  { "type", &(const sc_type){ .kind = SC_STRING, .enm = &e_job_type }, 0,
    "The type of the jobs to return. If \"types\" is defined, \"type\" will be ignored. Optional." },
  /* "comma-separated `types`": a list, which the query writes so. */
  { "types",
    &(const sc_type){ .kind = SC_ARRAY, .items = &(const sc_type){ .kind = SC_STRING, .enm = &e_job_type } },
    0,
    "The types of the jobs to return. If \"types\" is defined, \"type\" will be ignored. Optional." },
  /* Named by the Blender plugin's SDK notes only, with no description. */
  { "workflowId", &t_string, 0, "The workflow of the jobs to return. Optional." },
  { "projectId", &t_string, 0, PROJECT_DOC },
};
static const sc_type t_list_jobs_query = {
  .kind = SC_OBJECT, .name = "ListJobsQuery", FIELDS(list_jobs_query_fields)
};

static const sc_field jobs_page_fields[] = {
  { "jobs", &(const sc_type){ .kind = SC_ARRAY, .items = &t_job }, SC_REQUIRED,
    "(No description on the reference page.)" },
  { "nextPaginationToken", &t_string, 0, "A token to query the next page of jobs" },
};
static const sc_type t_jobs_page = { .kind = SC_OBJECT, .name = "JobsPage", FIELDS(jobs_page_fields) };

/* ---- GET /assets/{assetId} (assets.retrieve.md) ---------------------------- */

static const sc_field asset_query_fields[] = {
  { "withEmbedding", &t_boolean, 0, "Include the embedding in the response" },
  { "originalAssets", &t_boolean, 0, ORIGINAL_ASSETS_DOC },
  { "projectId", &t_string, 0, PROJECT_DOC },
};
static const sc_type t_asset_query = { .kind = SC_OBJECT, .name = "GetAssetQuery", FIELDS(asset_query_fields) };

static const sc_field transcription_fields[] = {
  { "text", &t_string, SC_REQUIRED, "(No description on the reference page.)" },
};

static const sc_field asset_properties_fields[] = {
  { "size", &t_number, SC_REQUIRED, "(No description on the reference page.)" },
  { "animationFrameCount", &t_number, 0, "Number of animation frames if animations exist" },
  { "bitrate", &t_number, 0, "Bitrate of the media in bits per second" },
  { "boneCount", &t_number, 0, "Number of bones if skeleton exists" },
  { "channels", &t_number, 0, "Number of channels of the audio" },
  { "classification", &(const sc_type){ .kind = SC_STRING, .enm = &e_audio_classification }, 0,
    "Classification of the audio" },
  { "codecName", &t_string, 0, "Codec name of the media" },
  { "description", &t_string, 0, "Description of the audio" },
  /* "item type not stated in the source" */
  { "dimensions", &t_any_array, 0, "Bounding box dimensions [width, height, depth]" },
  { "duration", &t_number, 0, "Duration of the media in seconds" },
  { "faceCount", &t_number, 0, "Number of faces/triangles in the mesh" },
  { "format", &t_string, 0, "Format of the mesh file (e.g. 'glb', etc.)" },
  { "frameRate", &t_number, 0, "Frame rate of the video in frames per second" },
  { "hasAnimations", &t_boolean, 0, "Whether the mesh has animations" },
  { "hasNormals", &t_boolean, 0, "Whether the mesh has normal vectors" },
  { "hasSkeleton", &t_boolean, 0, "Whether the mesh has bones/skeleton" },
  { "hasUVs", &t_boolean, 0, "Whether the mesh has UV coordinates" },
  { "height", &t_number, 0, "(No description on the reference page.)" },
  { "nbFrames", &t_number, 0, "Number of frames in the video" },
  { "sampleRate", &t_number, 0, "Sample rate of the media in Hz" },
  { "transcription", &(const sc_type){ .kind = SC_OBJECT, FIELDS(transcription_fields) }, 0,
    "Transcription of the audio" },
  { "vertexCount", &t_number, 0, "Number of vertices in the mesh" },
  { "width", &t_number, 0, "(No description on the reference page.)" },
};

/* "This index is an positive integer that starts at 0" */
static const sc_type t_output_index = NUM_MIN(0);

/* The required fields are the Swagger export's. kind has the seven values
 * of a model input's kind (e_input_kind), privacy the model's three;
 * thumbnail, preview and the frames are the model's {assetId, url}.
 * metadata's 109 members ("angular, 106 more" on the current page) say how
 * the asset was made, each by its own generator: kept as the server sends
 * them, unchecked. */
static const sc_field asset_fields[] = {
  { "authorId", &t_string, SC_REQUIRED,
    "The author user ID (example: \"dcf121faaa1a0a0bbbd9ca1b73d62aea\")" },
  { "collectionIds", &t_strings, SC_REQUIRED, "A list of CollectionId this asset belongs to" },
  { "createdAt", &t_string, SC_REQUIRED,
    "The asset creation date as an ISO string (example: \"2023-02-03T11:19:41.579Z\")" },
  { "editCapabilities",
    &(const sc_type){ .kind = SC_ARRAY,
                      .items = &(const sc_type){ .kind = SC_STRING, .enm = &e_edit_capability } },
    SC_REQUIRED, "List of edit capabilities" },
  { "id", &t_string, SC_REQUIRED, "The asset ID (example: \"asset_GTrL3mq4SXWyMxkOHRxlpw\")" },
  { "kind", &(const sc_type){ .kind = SC_STRING, .enm = &e_input_kind }, SC_REQUIRED,
    "The kind of asset" },
  { "metadata", &t_any_map, SC_REQUIRED,
    "Metadata of the asset with some additional information (its `kind` and `type`, and how it "
    "was made: `prompt`, `modelId`, `seed`...)" },
  { "mimeType", &t_string, SC_REQUIRED, "The mime type of the asset (example: \"image/png\")" },
  { "ownerId", &t_string, SC_REQUIRED,
    "The owner (project) ID (example: \"proj_23tlk332lkht3kl2\" or "
    "\"team_dlkhgs23tlk3hlkth32lkht3kl2\" for old teams)" },
  { "privacy", &t_privacy, SC_REQUIRED, "The privacy of the asset" },
  { "properties", &(const sc_type){ .kind = SC_OBJECT, FIELDS(asset_properties_fields) }, SC_REQUIRED,
    "The properties of the asset, content may depend on the kind of asset returned" },
  { "source", &(const sc_type){ .kind = SC_STRING, .enm = &e_asset_source }, SC_REQUIRED,
    "source of the asset" },
  { "status", &(const sc_type){ .kind = SC_STRING, .enm = &e_asset_status }, SC_REQUIRED,
    "The actual status" },
  { "tags", &t_strings, SC_REQUIRED, "The associated tags (example: [\"sci-fi\", \"landscape\"])" },
  { "updatedAt", &t_string, SC_REQUIRED,
    "The asset last update date as an ISO string (example: \"2023-02-03T11:19:41.579Z\")" },
  { "url", &t_string, SC_REQUIRED, "Signed URL to get the asset content" },
  { "automaticCaptioning", &t_string, 0, "Automatic captioning of the asset" },
  { "description", &t_string, 0,
    "The description, it will contain in priority: the manual description; the advanced "
    "captioning when the asset is used in training flow; the automatic captioning" },
  { "embedding", &t_numbers, 0,
    "The embedding of the asset when requested. Only available when an asset can be embedded (ie: "
    "not Detection maps)" },
  { "firstFrame", &t_asset_ref, 0,
    "The video asset's first frame. Contains the assetId and the url of the first frame." },
  { "lastFrame", &t_asset_ref, 0,
    "The video asset's last frame. Contains the assetId and the url of the last frame." },
  { "nsfw", &t_strings, 0, "The NSFW labels" },
  { "outputIndex", &t_output_index, 0,
    "The output index of the asset within a job This index is an positive integer that starts at "
    "0 It is used to differentiate between multiple outputs of the same job If the job has only "
    "one output, this index is 0" },
  { "preview", &t_asset_ref, 0,
    "The asset's preview. Contains the assetId and the url of the preview." },
  { "thumbnail", &t_asset_ref, 0,
    "The asset's thumbnail. Contains the assetId and the url of the thumbnail." },
};
static const sc_type t_asset = { .kind = SC_OBJECT, .name = "Asset", FIELDS(asset_fields) };

static const sc_field asset_envelope_fields[] = {
  { "asset", &t_asset, SC_REQUIRED, "(No description on the reference page.)" },
};
static const sc_type t_asset_envelope = {
  .kind = SC_OBJECT, .name = "AssetEnvelope", FIELDS(asset_envelope_fields)
};

/* ---- POST /assets (assets.upload.md) --------------------------------------- */

/* The Swagger export requires only name (a canvas may stand for the
 * image); the upload guide marks image required too. The export's rule
 * is kept: the server refuses an upload with neither. */
static const sc_field upload_body_fields[] = {
  { "name", &t_string, SC_REQUIRED,
    "The original file name of the image (example: \"low-res-image.jpg\")." },
  { "canvas", &t_string, 0,
    "The canvas to upload as a stringified JSON. Ignored if `image` is provided." },
  { "collectionIds", &t_strings, 0,
    "The IDs of the collections to add the asset to. If provided, the new asset will be added to "
    "the collections." },
  { "hide", &t_boolean, 0, "Toggles the hidden status of the asset." },
  { "image", &t_string, 0, "The image to upload in base64 format string." },
  { "parentId", &t_string, 0, "Specifies the parent asset Id for the asset." },
  { "thumbnail", &t_string, 0,
    "The thumbnail for the canvas in base64 format string. Ignored if `image` is provided." },
};
static const sc_type t_upload_body = { .kind = SC_OBJECT, .name = "UploadAssetBody", FIELDS(upload_body_fields) };

/* originalAssets (Swagger) and projectId (the guide's example URL). */
static const sc_field upload_query_fields[] = {
  { "originalAssets", &t_boolean, 0, ORIGINAL_ASSETS_DOC },
  { "projectId", &t_string, 0, PROJECT_DOC },
};
static const sc_type t_upload_query = {
  .kind = SC_OBJECT, .name = "UploadAssetQuery", FIELDS(upload_query_fields)
};

#endif
