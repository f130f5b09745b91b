/*
 * The request and response types of the neighbouring /models endpoints,
 * transcribed from ../shared/api/reference/ (one page each). #included after
 * schema_models.c, whose types it reuses: the model object and the
 * training parameters are POST-models.md's, which wins wherever a page
 * (an older mirror) disagrees, as on the model types (31 there, 37 in
 * e_model_type) and the capabilities ("audio2txt" only on the pages).
 * Enums that exist only on these pages are kept in the page's order;
 * fields in the page's order.
 *
 * The pages are the SDK's rendering, which prints no numeric or length
 * bounds at all (concepts[].scale has none there, -2..2 in POST-models.md):
 * a page gives only the bounds its prose states; a field POST-models.md
 * also has keeps the bounds it gives there.
 */
#ifndef SCENARIO_SCHEMA_ENDPOINTS_C
#define SCENARIO_SCHEMA_ENDPOINTS_C

#include "common.h"

#include "schema_models.c"

/* ---- enums ------------------------------------------------------------ */

/* models.list.md: "possible values are `private` and `public`"; its other
 * parameters speak of "privacy=private/unlisted", but the enum has two
 * values, so it is not e_privacy (which adds "unlisted"). */
static const char *const list_privacy_values[] = { "private", "public", NULL };
static const char *const list_sort_by_values[] = {
  "createdAt", "updatedAt", "score", NULL
};
static const char *const sort_direction_values[] = { "asc", "desc", NULL };
/* Not e_status: the page adds "deleted", and lacks "copying" and
 * "training-canceled". */
static const char *const list_status_values[] = {
  "new", "training", "trained", "failed", "deleted", NULL
};

static const char *const job_type_values[] = {
  "assets-download", "canvas-export", "caption", "caption-llava", "custom",
  "describe-style", "detection", "embed", "flux", "flux-model-training",
  "generate-prompt", "image-generation", "image-prompt-editing", "inference",
  "mesh-preview-rendering", "model-download", "model-import", "model-training",
  "musubi-model-training", "openai-image-generation", "patch-image", "pixelate",
  "reframe", "remove-background", "repaint", "restyle", "segment", "skybox-3d",
  "skybox-base-360", "skybox-hdri", "skybox-upscale-360", "splat", "texture",
  "translate", "upload", "upscale", "upscale-skybox", "upscale-texture",
  "vectorize", "workflow", NULL
};
/* Job.status and Job.statusHistory[].status: the page lists the same values. */
static const char *const job_status_values[] = {
  "canceled", "failure", "finalizing", "in-progress", "pending", "queued",
  "success", "warming-up", NULL
};
static const char *const ip_detection_action_values[] = {
  "allowed", "blocked", "flagged", NULL
};
static const char *const finding_category_values[] = {
  "artist-style", "brand-trademark", "celebrity-likeness", "custom",
  "fictional-character", NULL
};
static const char *const train_action_values[] = { "cancel", NULL };
static const char *const training_image_preset_values[] = {
  "default", "style", "subject", NULL
};

static const sc_enum e_list_privacy = STRENUM("list_privacy", list_privacy_values);
static const sc_enum e_list_sort_by = STRENUM("list_sort_by", list_sort_by_values);
static const sc_enum e_sort_direction = STRENUM("sort_direction", sort_direction_values);
static const sc_enum e_list_status = STRENUM("list_status", list_status_values);
static const sc_enum e_job_type = STRENUM("job_type", job_type_values);
static const sc_enum e_job_status = STRENUM("job_status", job_status_values);
static const sc_enum e_ip_detection_action =
  STRENUM("ip_detection_action", ip_detection_action_values);
static const sc_enum e_finding_category =
  STRENUM("finding_category", finding_category_values);
static const sc_enum e_train_action = STRENUM("train_action", train_action_values);
static const sc_enum e_training_image_preset =
  STRENUM("training_image_preset", training_image_preset_values);

/* ---- shared ------------------------------------------------------------- */

/* DELETE /models/{modelId} and PUT /models/{modelId}/tags document only
 * the ownership parameter, not originalAssets. */
static const sc_field project_query_fields[] = {
  { "projectId", &t_string, 0,
    "The projectId used for ownership resource management. Either to assert ownership or to set "
    "the owner of the resource(s)" },
};
static const sc_type t_project_query = { .kind = SC_OBJECT, .name = "ProjectQuery", FIELDS(project_query_fields) };

/* ---- PUT /models/{modelId} (models.update.md) ---------------------------- */

/* name and shortDescription carry POST-models.md's limits (64 and 256):
 * the same fields of the same model, on a page that prints no limits. */
static const sc_field update_body_fields[] = {
  /* "Set to null to unset the class" */
  { "classSlug", &t_string, SC_NULLABLE,
    "The slug of the class you want to use (ex: \"characters-npcs-mobs-characters\"). Set to "
    "null to unset the class" },
  { "concepts", &t_concepts, 0,
    "The concepts is required for composition models. With one or more loras. Only applicable to "
    "Flux based models." },
  /* "Set to null to unset the epoch." */
  { "epoch", &t_string, SC_NULLABLE,
    "The epoch of the model. Only available for flux.1-lora and flux.1-kontext-lora based "
    "models. The epoch can only be set if the model has epochs and is in status \"trained\". The "
    "default epoch (if not set) is the final model epoch (latest). Set to null to unset the "
    "epoch." },
  { "name", &t_name64, 0,
    "The model's name (ex: \"Cinematic Realism\"). If not set, the model's name will be "
    "automatically generated when starting training based on training data." },
  { "negativePromptEmbedding", &t_string, 0,
    "Add a negative prompt embedding to every model's generation" },
  { "parameters", &t_parameters, 0, "The parameters to use for the model's training" },
  { "promptEmbedding", &t_string, 0, "Add a prompt embedding to every model's generation" },
  { "shortDescription", &t_desc256, 0,
    "The model's short description (ex: \"This model generates highly detailed cinematic "
    "scenes.\"). If not set, the model's short description will be automatically generated when "
    "starting training based on training data." },
  /* "Set to null to unset the thumbnail" */
  { "thumbnail", &t_string, SC_NULLABLE,
    "The AssetId of the image you want to use as a thumbnail for the model (example: "
    "\"asset_GTrL3mq4SXWyMxkOHRxlpw\"). Set to null to unset the thumbnail" },
  { "type", &t_model_type, 0,
    "The model's type (ex: \"flux.1-lora\"). The type can only be changed if the model has the "
    "\"new\" status." },
};
static const sc_type t_update_body = { .kind = SC_OBJECT, .name = "UpdateModelBody", FIELDS(update_body_fields) };

/* ---- GET /models (models.list.md) ---------------------------------------- */

/* "The default value is 100, maximum value is 500, minimum value is 1";
 * that it is an integer the vocabulary cannot say. */
static const sc_type t_page_size = NUM_RANGE(1, 500);

/* The page's conditions between parameters ("type" and "types" cannot be
 * used together; createdAfter/createdBefore require sortBy "createdAt";
 * "Only available when privacy=public") are the server's to enforce. */
static const sc_field list_query_fields[] = {
  { "blacklisted", &t_boolean, 0,
    "If set to true, returns the full list of models (including blacklisted models) (only "
    "available for team admins)" },
  { "collectionId", &t_string, 0,
    "When provided, only the models in the Collection will be returned. Only available when "
    "privacy=private/unlisted (note: this is different from collectionIds which is only for "
    "privacy=public)" },
  /* "List of collection ids, comma separated": a string on the page. */
  { "collectionIds", &t_string, 0,
    "List of collection ids, comma separated. Only available when privacy=public" },
  { "createdAfter", &t_string, 0,
    "Filter results to only return models created after the specified ISO string date "
    "(exclusive). Requires the sortBy parameter to be \"createdAt\". Available for both "
    "privacy=public and privacy=private/unlisted" },
  { "createdBefore", &t_string, 0,
    "Filter results to only return models created before the specified ISO string date "
    "(exclusive). Requires the sortBy parameter to be \"createdAt\". Available for both "
    "privacy=public and privacy=private/unlisted" },
  { "loadedOnly", &t_boolean, 0,
    "If set to true, returns the list of models currently loaded on GPU" },
  { "originalAssets", &t_boolean, 0,
    "If set to true, returns the original asset without transformation" },
  { "pageSize", &t_page_size, 0,
    "The number of items to return in the response. The default value is 100, maximum value is "
    "500, minimum value is 1" },
  { "paginationToken", &t_string, 0,
    "A token you received in a previous request to query the next page of items" },
  { "privacy", &(const sc_type){ .kind = SC_STRING, .enm = &e_list_privacy }, 0,
    "The privacy of the models to return. The default value is `private`, possible values are "
    "`private` and `public`" },
  { "projectId", &t_string, 0,
    "The projectId used for ownership resource management. Either to assert ownership or to set "
    "the owner of the resource(s)" },
  { "sortBy", &(const sc_type){ .kind = SC_STRING, .enm = &e_list_sort_by }, 0,
    "Sort results by createdAt, updatedAt, or score. When privacy=public, defaults to score if "
    "not specified. When privacy=private/unlisted, supports createdAt and score (default: "
    "createdAt). When sortBy=score for privacy=private/unlisted, both privacy and status query "
    "parameters are required." },
  { "sortDirection", &(const sc_type){ .kind = SC_STRING, .enm = &e_sort_direction }, 0,
    "Sort results in ascending (asc) or descending (desc) order. Only used when sortBy is "
    "specified. Available for both privacy=public and privacy=private/unlisted. For public "
    "models, this parameter is ignored when sortBy is not specified or set to score." },
  { "status", &(const sc_type){ .kind = SC_STRING, .enm = &e_list_status }, 0,
    "The status of the models to return. Only available when privacy=private/unlisted" },
  /* "List of tags, comma separated": a string on the page. */
  { "tags", &t_string, 0, "List of tags, comma separated. Only available when privacy=public" },
  { "type", &t_model_type, 0,
    "List all the models of a specific type. The parameter \"type\" and \"types\" cannot be used "
    "together. Only available when privacy=public" },
  /* Typed Array<...> on the page, yet "List of types, comma separated"; a
   * query cannot carry a JSON array, and the query string's spelling of
   * one (commas, or types=a&types=b) is the engine's choice, not the
   * schema's. The items are model types: POST-models.md's 37. */
  { "types", &t_model_types, 0,
    "List of types, comma separated. The parameter \"type\" and \"types\" cannot be used "
    "together. Only available when privacy=public" },
  { "updatedAfter", &t_string, 0,
    "Filter results to only return models updated after the specified ISO string date "
    "(exclusive). Requires the sortBy parameter to be \"updatedAt\". Only available when "
    "privacy=public" },
  { "updatedBefore", &t_string, 0,
    "Filter results to only return models updated before the specified ISO string date "
    "(exclusive). Requires the sortBy parameter to be \"updatedAt\". Only available when "
    "privacy=public" },
};
static const sc_type t_list_query = { .kind = SC_OBJECT, .name = "ListModelsQuery", FIELDS(list_query_fields) };

/* The page's Returns section describes one model (the SDK's cursor item);
 * the wire shape is its example response's. nextPaginationToken appears
 * only there: optional, since the last page has no next one. */
static const sc_field models_page_fields[] = {
  { "models", &(const sc_type){ .kind = SC_ARRAY, .items = &t_model }, SC_REQUIRED,
    "(No description on the reference page.)" },
  { "nextPaginationToken", &t_string, 0, "(No description on the reference page.)" },
};
static const sc_type t_models_page = { .kind = SC_OBJECT, .name = "ModelsPage", FIELDS(models_page_fields) };

/* ---- DELETE /models/{modelId} (models.delete.md) -------------------------- */

/* "ModelDeleteResponse = unknown", example {}: nothing to check. */
static const sc_type t_delete_response = { .kind = SC_ANY };

/* ---- PUT /models/{modelId}/train (models.train.trigger.md) ---------------- */

static const sc_field train_query_fields[] = {
  /* "dryRun?: unknown", described only as "Query param": the page gives
   * no type, so none is checked; how a non-scalar would be written into
   * the query string is the engine's question. */
  { "dryRun", &t_any, 0, "(No description on the reference page.)" },
  { "originalAssets", &t_boolean, 0,
    "If set to true, returns the original asset without transformation" },
  { "projectId", &t_string, 0,
    "The projectId used for ownership resource management. Either to assert ownership or to set "
    "the owner of the resource(s)" },
  /* "Simulate the number of training images, used for dryRun purpose" */
  { "trainingImagesCount", &t_number, 0,
    "Simulate the number of training images, used for dryRun purpose" },
};
static const sc_type t_train_query = { .kind = SC_OBJECT, .name = "TrainModelQuery", FIELDS(train_query_fields) };

/* The page lists one body parameter. */
static const sc_field train_body_fields[] = {
  { "parameters", &t_parameters, 0, "(No description on the reference page.)" },
};
static const sc_type t_train_body = { .kind = SC_OBJECT, .name = "TrainModelBody", FIELDS(train_body_fields) };

/* Job.metadata's top level is a flat list and is transcribed; its flow
 * (the workflow's nodes, some 740 lines of the page, nested inputs of
 * inputs) is "Only available for workflow jobs", which a training is not,
 * so each node is only checked to be an object. */
static const sc_field job_metadata_fields[] = {
  { "assetIds", &t_strings, 0, "List of produced assets for this job" },
  /* "string | null": a null member reads as absent, so optional says it. */
  { "error", &t_string, 0, "Eventual error for the job" },
  { "flow", &(const sc_type){ .kind = SC_ARRAY, .items = &t_any_map }, 0,
    "The flow of the job. Only available for workflow jobs." },
  { "hint", &t_string, 0,
    "Actionable hint for the user explaining what went wrong and how to resolve it." },
  { "input", &t_any_map, 0, "The inputs for the job" },
  { "output", &t_any_map, 0,
    "May contain the output of the job for specific custom models jobs. Only available for "
    "custom models which generate non-assets outputs. Example: LLM text results." },
  { "outputModelId", &t_string, 0, "For voice-clone jobs: the ID of the model being trained." },
  { "workflowId", &t_string, 0, "The workflow ID of the job if job is part of a workflow." },
  { "workflowJobId", &t_string, 0,
    "The workflow job ID of the job if job is part of a workflow job." },
};

static const sc_type t_job_status = { .kind = SC_STRING, .enm = &e_job_status };

static const sc_field status_history_fields[] = {
  { "date", &t_string, SC_REQUIRED, "(No description on the reference page.)" },
  { "status", &t_job_status, SC_REQUIRED, "(No description on the reference page.)" },
};

static const sc_field billing_fields[] = {
  { "cuCost", &t_number, SC_REQUIRED, "(No description on the reference page.)" },
  { "cuDiscount", &t_number, SC_REQUIRED, "(No description on the reference page.)" },
  { "disableRefund", &t_boolean, 0,
    "When true, the credits charged for this job are not automatically refunded if the "
    "generation fails, because the model used does not support refund-on-failure. Absent or "
    "false means a failed generation is refunded as usual." },
};

static const sc_field job_fields[] = {
  { "createdAt", &t_string, SC_REQUIRED,
    "The job creation date as an ISO string (example: \"2023-02-03T11:19:41.579Z\")" },
  { "jobId", &t_string, SC_REQUIRED, "The job ID (example: \"job_ocZCnG1Df35XRL1QyCZSRxAG8\")" },
  { "jobType", &(const sc_type){ .kind = SC_STRING, .enm = &e_job_type }, SC_REQUIRED,
    "The type of job" },
  { "metadata", &(const sc_type){ .kind = SC_OBJECT, FIELDS(job_metadata_fields) }, SC_REQUIRED,
    "Metadata of the job with some additional information" },
  /* "Progress of the job (between 0 and 1)" */
  { "progress", &t_unit, SC_REQUIRED, "Progress of the job (between 0 and 1)" },
  { "status", &t_job_status, SC_REQUIRED, "The current status of the job" },
  { "statusHistory",
    &(const sc_type){ .kind = SC_ARRAY,
                      .items = &(const sc_type){ .kind = SC_OBJECT,
                                                 FIELDS(status_history_fields) } },
    SC_REQUIRED,
    "The history of the different statuses the job went through with the ISO string date of when "
    "the job reached each statuses." },
  { "updatedAt", &t_string, SC_REQUIRED,
    "The job last update date as an ISO string (example: \"2023-02-03T11:19:41.579Z\")" },
  { "authorId", &t_string, 0,
    "The author user ID (example: \"dcf121faaa1a0a0bbbd9ca1b73d62aea\")" },
  { "billing", &(const sc_type){ .kind = SC_OBJECT, FIELDS(billing_fields) }, 0,
    "The billing of the job" },
  { "ownerId", &t_string, 0, "The owner ID (example: \"team_U3Qmc8PCdWXwAQJ4Dvw4tV6D\")" },
};
static const sc_type t_job = { .kind = SC_OBJECT, .name = "Job", FIELDS(job_fields) };

static const sc_field finding_fields[] = {
  { "category", &(const sc_type){ .kind = SC_STRING, .enm = &e_finding_category }, SC_REQUIRED,
    "Category of the filter that produced this verdict." },
  /* "Confidence score from 0 (low) to 1 (high)." */
  { "confidence", &t_unit, SC_REQUIRED, "Confidence score from 0 (low) to 1 (high)." },
  { "filterId", &t_string, SC_REQUIRED, "Identifier of the filter that produced this verdict." },
  { "filterName", &t_string, SC_REQUIRED,
    "Display name of the filter that produced this verdict." },
  { "flagged", &t_boolean, SC_REQUIRED, "Whether this filter considered the request an IP risk." },
  { "reason", &t_string, SC_REQUIRED, "Short, user-facing explanation of the verdict." },
  { "entities", &t_strings, 0,
    "Named entities the filter recognized (e.g. characters, brands, people)." },
};
static const sc_type t_finding = { .kind = SC_OBJECT, .name = "Finding", FIELDS(finding_fields) };

static const sc_field ip_detection_fields[] = {
  { "action", &(const sc_type){ .kind = SC_STRING, .enm = &e_ip_detection_action },
    SC_REQUIRED, "Whether and how detection affected the request." },
  { "creativeUnitsCharged", &t_number, SC_REQUIRED,
    "IP-detection CU fee, separate from creativeUnitsCost: a fixed base fee plus a per-image fee "
    "for each analyzed input image." },
  { "evaluatedFilters", &t_number, SC_REQUIRED,
    "Number of enabled filters evaluated for this request." },
  { "findings", &(const sc_type){ .kind = SC_ARRAY, .items = &t_finding }, SC_REQUIRED,
    "Per-filter verdicts gathered for this request." },
  { "flagged", &t_boolean, SC_REQUIRED,
    "Convenience flag; always true when action is not 'allowed'." },
  { "hasDetectorError", &t_boolean, 0,
    "True if one or more detectors errored while evaluating this request." },
};
static const sc_type t_ip_detection = { .kind = SC_OBJECT, .name = "IpDetection", FIELDS(ip_detection_fields) };

static const sc_field train_response_fields[] = {
  { "job", &t_job, SC_REQUIRED, "(No description on the reference page.)" },
  { "model", &t_model, SC_REQUIRED, "(No description on the reference page.)" },
  { "creativeUnitsCost", &t_number, 0, "The Compute Units cost for the request billed" },
  { "creativeUnitsDiscount", &t_number, 0, "The Compute Units discount for the request billed" },
  /* "IP detection findings, when detection ran for this request." */
  { "ipDetection", &t_ip_detection, 0,
    "IP detection findings, when detection ran for this request." },
};
static const sc_type t_train_response = { .kind = SC_OBJECT, .name = "TrainModelResponse", FIELDS(train_response_fields) };

/* ---- POST /models/{modelId}/train/action (models.train.action.md) --------- */

static const sc_field train_action_body_fields[] = {
  { "action", &(const sc_type){ .kind = SC_STRING, .enm = &e_train_action }, SC_REQUIRED,
    "The action to perform on the model training" },
};
static const sc_type t_train_action_body = {
  .kind = SC_OBJECT, .name = "TrainActionBody", FIELDS(train_action_body_fields)
};

/* ---- POST /models/{modelId}/training-images ------------------------------- */

/* The page's rules between these ("If provided, "data" and "name"
 * parameters will be ignored"; assetIds "Cannot be used with "assetId" or
 * "data" and "name" parameters") are the server's to enforce. */
static const sc_field training_image_body_fields[] = {
  { "assetId", &t_string, 0,
    "The asset ID to use as a training image (example: \"asset_GTrL3mq4SXWyMxkOHRxlpw\"). If "
    "provided, \"data\" and \"name\" parameters will be ignored." },
  /* "up to 10 asset IDs are allowed": the vocabulary has no array length
   * limit, so the server enforces it. */
  { "assetIds", &t_strings, 0,
    "The asset IDs to use as training images (example: [\"asset_GTrL3mq4SXWyMxkOHRxlpw\", "
    "\"asset_GTrL3mq4SXWyMxkOHRxlpw\"]) Used in batch mode, up to 10 asset IDs are allowed. "
    "Cannot be used with \"assetId\" or \"data\" and \"name\" parameters." },
  /* "The training image as a data URL" */
  { "data", &t_string, 0,
    "The training image as a data URL (example: "
    "\"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVQYV2NgYAAAAAM"
    "AAWgmWQ0AAAAASUVORK5CYII=\")" },
  { "name", &t_string, 0,
    "The original file name of the image (example: \"my-training-image.jpg\")" },
  { "preset", &(const sc_type){ .kind = SC_STRING, .enm = &e_training_image_preset }, 0,
    "The preset to use for training images" },
};
static const sc_type t_training_image_body = {
  .kind = SC_OBJECT, .name = "AddTrainingImagesBody", FIELDS(training_image_body_fields)
};

static const sc_field training_image_envelope_fields[] = {
  { "trainingImage", &t_training_image, SC_REQUIRED, "(No description on the reference page.)" },
};
static const sc_type t_training_image_envelope = {
  .kind = SC_OBJECT, .name = "TrainingImageEnvelope", FIELDS(training_image_envelope_fields)
};

/* ---- PUT /models/{modelId}/tags (models.update_tags.md) ------------------- */

static const sc_field tags_body_fields[] = {
  { "add", &t_strings, 0, "The list of tags to add" },
  /* The wire name: the SDK's `_delete` only dodges JavaScript's keyword. */
  { "delete", &t_strings, 0, "The list of tags to delete" },
  { "strict", &t_boolean, 0,
    "If true, the function will throw an error if: one of the tags to add already exists; one of "
    "the tags to delete is not found. If false, the endpoint will behave as if it was idempotent" },
};
static const sc_type t_tags_body = { .kind = SC_OBJECT, .name = "UpdateModelTagsBody", FIELDS(tags_body_fields) };

static const sc_field tags_response_fields[] = {
  { "added", &t_strings, SC_REQUIRED, "The list of added tags" },
  { "deleted", &t_strings, SC_REQUIRED, "The list of deleted tags" },
};
static const sc_type t_tags_response = { .kind = SC_OBJECT, .name = "UpdateModelTagsResponse", FIELDS(tags_response_fields) };

#endif
