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
  { "projectId", &t_string, 0 },
};
static const sc_type t_project_query = { .kind = SC_OBJECT, FIELDS(project_query_fields) };

/* ---- PUT /models/{modelId} (models.update.md) ---------------------------- */

/* name and shortDescription carry POST-models.md's limits (64 and 256):
 * the same fields of the same model, on a page that prints no limits. */
static const sc_field update_body_fields[] = {
  /* "Set to null to unset the class" */
  { "classSlug", &t_string, SC_NULLABLE },
  { "concepts", &t_concepts, 0 },
  /* "Set to null to unset the epoch." */
  { "epoch", &t_string, SC_NULLABLE },
  { "name", &t_name64, 0 },
  { "negativePromptEmbedding", &t_string, 0 },
  { "parameters", &t_parameters, 0 },
  { "promptEmbedding", &t_string, 0 },
  { "shortDescription", &t_desc256, 0 },
  /* "Set to null to unset the thumbnail" */
  { "thumbnail", &t_string, SC_NULLABLE },
  { "type", &t_model_type, 0 },
};
static const sc_type t_update_body = { .kind = SC_OBJECT, FIELDS(update_body_fields) };

/* ---- GET /models (models.list.md) ---------------------------------------- */

/* "The default value is 100, maximum value is 500, minimum value is 1";
 * that it is an integer the vocabulary cannot say. */
static const sc_type t_page_size = NUM_RANGE(1, 500);

/* The page's conditions between parameters ("type" and "types" cannot be
 * used together; createdAfter/createdBefore require sortBy "createdAt";
 * "Only available when privacy=public") are the server's to enforce. */
static const sc_field list_query_fields[] = {
  { "blacklisted", &t_boolean, 0 },
  { "collectionId", &t_string, 0 },
  /* "List of collection ids, comma separated": a string on the page. */
  { "collectionIds", &t_string, 0 },
  { "createdAfter", &t_string, 0 },
  { "createdBefore", &t_string, 0 },
  { "loadedOnly", &t_boolean, 0 },
  { "originalAssets", &t_boolean, 0 },
  { "pageSize", &t_page_size, 0 },
  { "paginationToken", &t_string, 0 },
  { "privacy", &(const sc_type){ .kind = SC_STRING, .enm = &e_list_privacy }, 0 },
  { "projectId", &t_string, 0 },
  { "sortBy", &(const sc_type){ .kind = SC_STRING, .enm = &e_list_sort_by }, 0 },
  { "sortDirection", &(const sc_type){ .kind = SC_STRING, .enm = &e_sort_direction }, 0 },
  { "status", &(const sc_type){ .kind = SC_STRING, .enm = &e_list_status }, 0 },
  /* "List of tags, comma separated": a string on the page. */
  { "tags", &t_string, 0 },
  { "type", &t_model_type, 0 },
  /* Typed Array<...> on the page, yet "List of types, comma separated"; a
   * query cannot carry a JSON array, and the query string's spelling of
   * one (commas, or types=a&types=b) is the engine's choice, not the
   * schema's. The items are model types: POST-models.md's 37. */
  { "types", &t_model_types, 0 },
  { "updatedAfter", &t_string, 0 },
  { "updatedBefore", &t_string, 0 },
};
static const sc_type t_list_query = { .kind = SC_OBJECT, FIELDS(list_query_fields) };

/* The page's Returns section describes one model (the SDK's cursor item);
 * the wire shape is its example response's. nextPaginationToken appears
 * only there: optional, since the last page has no next one. */
static const sc_field models_page_fields[] = {
  { "models", &(const sc_type){ .kind = SC_ARRAY, .items = &t_model }, SC_REQUIRED },
  { "nextPaginationToken", &t_string, 0 },
};
static const sc_type t_models_page = { .kind = SC_OBJECT, FIELDS(models_page_fields) };

/* ---- DELETE /models/{modelId} (models.delete.md) -------------------------- */

/* "ModelDeleteResponse = unknown", example {}: nothing to check. */
static const sc_type t_delete_response = { .kind = SC_ANY };

/* ---- PUT /models/{modelId}/train (models.train.trigger.md) ---------------- */

static const sc_field train_query_fields[] = {
  /* "dryRun?: unknown", described only as "Query param": the page gives
   * no type, so none is checked; how a non-scalar would be written into
   * the query string is the engine's question. */
  { "dryRun", &t_any, 0 },
  { "originalAssets", &t_boolean, 0 },
  { "projectId", &t_string, 0 },
  /* "Simulate the number of training images, used for dryRun purpose" */
  { "trainingImagesCount", &t_number, 0 },
};
static const sc_type t_train_query = { .kind = SC_OBJECT, FIELDS(train_query_fields) };

/* The page lists one body parameter. */
static const sc_field train_body_fields[] = {
  { "parameters", &t_parameters, 0 },
};
static const sc_type t_train_body = { .kind = SC_OBJECT, FIELDS(train_body_fields) };

/* Job.metadata's top level is a flat list and is transcribed; its flow
 * (the workflow's nodes, some 740 lines of the page, nested inputs of
 * inputs) is "Only available for workflow jobs", which a training is not,
 * so each node is only checked to be an object. */
static const sc_field job_metadata_fields[] = {
  { "assetIds", &t_strings, 0 },
  /* "string | null": a null member reads as absent, so optional says it. */
  { "error", &t_string, 0 },
  { "flow", &(const sc_type){ .kind = SC_ARRAY, .items = &t_any_map }, 0 },
  { "hint", &t_string, 0 },
  { "input", &t_any_map, 0 },
  { "output", &t_any_map, 0 },
  { "outputModelId", &t_string, 0 },
  { "workflowId", &t_string, 0 },
  { "workflowJobId", &t_string, 0 },
};

static const sc_type t_job_status = { .kind = SC_STRING, .enm = &e_job_status };

static const sc_field status_history_fields[] = {
  { "date", &t_string, SC_REQUIRED },
  { "status", &t_job_status, SC_REQUIRED },
};

static const sc_field billing_fields[] = {
  { "cuCost", &t_number, SC_REQUIRED },
  { "cuDiscount", &t_number, SC_REQUIRED },
  { "disableRefund", &t_boolean, 0 },
};

static const sc_field job_fields[] = {
  { "createdAt", &t_string, SC_REQUIRED },
  { "jobId", &t_string, SC_REQUIRED },
  { "jobType", &(const sc_type){ .kind = SC_STRING, .enm = &e_job_type }, SC_REQUIRED },
  { "metadata", &(const sc_type){ .kind = SC_OBJECT, FIELDS(job_metadata_fields) }, SC_REQUIRED },
  /* "Progress of the job (between 0 and 1)" */
  { "progress", &t_unit, SC_REQUIRED },
  { "status", &t_job_status, SC_REQUIRED },
  { "statusHistory",
    &(const sc_type){ .kind = SC_ARRAY,
                      .items = &(const sc_type){ .kind = SC_OBJECT,
                                                 FIELDS(status_history_fields) } },
    SC_REQUIRED },
  { "updatedAt", &t_string, SC_REQUIRED },
  { "authorId", &t_string, 0 },
  { "billing", &(const sc_type){ .kind = SC_OBJECT, FIELDS(billing_fields) }, 0 },
  { "ownerId", &t_string, 0 },
};
static const sc_type t_job = { .kind = SC_OBJECT, FIELDS(job_fields) };

static const sc_field finding_fields[] = {
  { "category", &(const sc_type){ .kind = SC_STRING, .enm = &e_finding_category }, SC_REQUIRED },
  /* "Confidence score from 0 (low) to 1 (high)." */
  { "confidence", &t_unit, SC_REQUIRED },
  { "filterId", &t_string, SC_REQUIRED },
  { "filterName", &t_string, SC_REQUIRED },
  { "flagged", &t_boolean, SC_REQUIRED },
  { "reason", &t_string, SC_REQUIRED },
  { "entities", &t_strings, 0 },
};
static const sc_type t_finding = { .kind = SC_OBJECT, FIELDS(finding_fields) };

static const sc_field ip_detection_fields[] = {
  { "action", &(const sc_type){ .kind = SC_STRING, .enm = &e_ip_detection_action },
    SC_REQUIRED },
  { "creativeUnitsCharged", &t_number, SC_REQUIRED },
  { "evaluatedFilters", &t_number, SC_REQUIRED },
  { "findings", &(const sc_type){ .kind = SC_ARRAY, .items = &t_finding }, SC_REQUIRED },
  { "flagged", &t_boolean, SC_REQUIRED },
  { "hasDetectorError", &t_boolean, 0 },
};
static const sc_type t_ip_detection = { .kind = SC_OBJECT, FIELDS(ip_detection_fields) };

static const sc_field train_response_fields[] = {
  { "job", &t_job, SC_REQUIRED },
  { "model", &t_model, SC_REQUIRED },
  { "creativeUnitsCost", &t_number, 0 },
  { "creativeUnitsDiscount", &t_number, 0 },
  /* "IP detection findings, when detection ran for this request." */
  { "ipDetection", &t_ip_detection, 0 },
};
static const sc_type t_train_response = { .kind = SC_OBJECT, FIELDS(train_response_fields) };

/* ---- POST /models/{modelId}/train/action (models.train.action.md) --------- */

static const sc_field train_action_body_fields[] = {
  { "action", &(const sc_type){ .kind = SC_STRING, .enm = &e_train_action }, SC_REQUIRED },
};
static const sc_type t_train_action_body = {
  .kind = SC_OBJECT, FIELDS(train_action_body_fields)
};

/* ---- POST /models/{modelId}/training-images ------------------------------- */

/* The page's rules between these ("If provided, "data" and "name"
 * parameters will be ignored"; assetIds "Cannot be used with "assetId" or
 * "data" and "name" parameters") are the server's to enforce. */
static const sc_field training_image_body_fields[] = {
  { "assetId", &t_string, 0 },
  /* "up to 10 asset IDs are allowed": the vocabulary has no array length
   * limit, so the server enforces it. */
  { "assetIds", &t_strings, 0 },
  /* "The training image as a data URL" */
  { "data", &t_string, 0 },
  { "name", &t_string, 0 },
  { "preset", &(const sc_type){ .kind = SC_STRING, .enm = &e_training_image_preset }, 0 },
};
static const sc_type t_training_image_body = {
  .kind = SC_OBJECT, FIELDS(training_image_body_fields)
};

static const sc_field training_image_envelope_fields[] = {
  { "trainingImage", &t_training_image, SC_REQUIRED },
};
static const sc_type t_training_image_envelope = {
  .kind = SC_OBJECT, FIELDS(training_image_envelope_fields)
};

/* ---- PUT /models/{modelId}/tags (models.update_tags.md) ------------------- */

static const sc_field tags_body_fields[] = {
  { "add", &t_strings, 0 },
  /* The wire name: the SDK's `_delete` only dodges JavaScript's keyword. */
  { "delete", &t_strings, 0 },
  { "strict", &t_boolean, 0 },
};
static const sc_type t_tags_body = { .kind = SC_OBJECT, FIELDS(tags_body_fields) };

static const sc_field tags_response_fields[] = {
  { "added", &t_strings, SC_REQUIRED },
  { "deleted", &t_strings, SC_REQUIRED },
};
static const sc_type t_tags_response = { .kind = SC_OBJECT, FIELDS(tags_response_fields) };

#endif
