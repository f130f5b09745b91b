/*
 * The endpoint table: one entry per endpoint of the API, and nothing else
 * to write for one. The client's methods, their retry class, the
 * reference and the replay server's routes are all made from it (see
 * sc_endpoint in schema.h); the types come from schema_models.c,
 * schema_endpoints.c and schema_generate.c. Path parameters, then the body, then the query: the
 * order of every method's arguments.
 */
#ifndef SCENARIO_ENDPOINT_TABLE_C
#define SCENARIO_ENDPOINT_TABLE_C

#include "common.h"

#include <string.h>

#include "schema_generate.c"

static const sc_endpoint sc_endpoints[] = {
  { .name = "create_model", .method = "POST", .path = "/models",
    .body = &t_create_body, .query = &t_model_query, .response = &t_model_envelope,
    .returns = SC_RETURNS_MEMBER, .member = "model", .idempotent = 0,
    .summary = "Creates a model." },
  { .name = "get_model", .method = "GET", .path = "/models/{modelId}",
    .query = &t_model_query, .response = &t_model_envelope,
    .returns = SC_RETURNS_MEMBER, .member = "model", .idempotent = 1,
    .summary = "Gets a model, with its training status and progress." },
  { .name = "list_models", .method = "GET", .path = "/models",
    .query = &t_list_query, .response = &t_models_page,
    .returns = SC_RETURNS_DOCUMENT, .idempotent = 1,
    .pages = { .token = "paginationToken", .next = "nextPaginationToken", .items = "models",
               .each = "each_model" },
    .summary = "Lists models, a page at a time." },
  { .name = "update_model", .method = "PUT", .path = "/models/{modelId}",
    .body = &t_update_body, .query = &t_model_query, .response = &t_model_envelope,
    .returns = SC_RETURNS_MEMBER, .member = "model", .idempotent = 1,
    .summary = "Updates a model: its name, description, class, type, concepts, parameters..." },
  { .name = "delete_model", .method = "DELETE", .path = "/models/{modelId}",
    .query = &t_project_query, .response = &t_delete_response,
    .returns = SC_RETURNS_NOTHING, .idempotent = 1,
    .summary = "Deletes a model." },
  /* It starts a paid job: sent twice, it would be paid for twice. */
  { .name = "train_model", .method = "PUT", .path = "/models/{modelId}/train",
    .body = &t_train_body, .query = &t_train_query, .response = &t_train_response,
    .returns = SC_RETURNS_DOCUMENT, .idempotent = 0,
    .summary = "Starts the training of a model (or, with dryRun, says what it would cost)." },
  { .name = "cancel_training", .method = "POST", .path = "/models/{modelId}/train/action",
    .body = &t_train_action_body, .fixed_body = "{\"action\":\"cancel\"}",
    .query = &t_model_query, .response = &t_model_envelope,
    .returns = SC_RETURNS_MEMBER, .member = "model", .idempotent = 1,
    .summary = "Cancels the training of a model." },
  /* Each one adds an image: sent twice, the model has it twice. */
  { .name = "add_training_images", .method = "POST", .path = "/models/{modelId}/training-images",
    .body = &t_training_image_body, .query = &t_model_query, .response = &t_training_image_envelope,
    .returns = SC_RETURNS_MEMBER, .member = "trainingImage", .idempotent = 0,
    .summary = "Adds training images to a model: one as a data URL, or assets by id." },
  { .name = "update_model_tags", .method = "PUT", .path = "/models/{modelId}/tags",
    .body = &t_tags_body, .query = &t_project_query, .response = &t_tags_response,
    .returns = SC_RETURNS_DOCUMENT, .idempotent = 1,
    .summary = "Adds and removes tags of a model." },
  /* The three generations start paid jobs: sent twice, each is paid for
   * twice. A dry run (query dryRun) is answered 269 with a quote. */
  { .name = "generate", .method = "POST", .path = "/generate/custom/{modelId}",
    .body = &t_generate_body, .query = &t_generate_custom_query, .response = &t_generate_response,
    .quote = &t_dry_run, .returns = SC_RETURNS_DOCUMENT, .idempotent = 0,
    .summary = "Runs a model on the inputs it declares, by name (or, with dryRun, says what it would "
               "cost)." },
  { .name = "generate_txt2img", .method = "POST", .path = "/generate/txt2img",
    .body = &t_txt2img_body, .query = &t_generate_query, .response = &t_inference_response,
    .quote = &t_dry_run, .returns = SC_RETURNS_DOCUMENT, .idempotent = 0,
    .summary = "Generates images from a prompt (or, with dryRun, says what it would cost)." },
  { .name = "generate_img2img", .method = "POST", .path = "/generate/img2img",
    .body = &t_img2img_body, .query = &t_generate_query, .response = &t_inference_response,
    .quote = &t_dry_run, .returns = SC_RETURNS_DOCUMENT, .idempotent = 0,
    .summary = "Generates images from a prompt and an image (or, with dryRun, says what it would "
               "cost)." },
  { .name = "get_job", .method = "GET", .path = "/jobs/{jobId}",
    .query = &t_project_query, .response = &t_job_envelope,
    .returns = SC_RETURNS_MEMBER, .member = "job", .idempotent = 1,
    .summary = "Gets a job: its status, its progress and the assets it made." },
  { .name = "list_jobs", .method = "GET", .path = "/jobs",
    .query = &t_list_jobs_query, .response = &t_jobs_page,
    .returns = SC_RETURNS_DOCUMENT, .idempotent = 1,
    .pages = { .token = "paginationToken", .next = "nextPaginationToken", .items = "jobs",
               .each = "each_job" },
    .summary = "Lists jobs, a page at a time." },
  /* As cancel_training: a second cancel finds the job cancelled (or ended)
   * and changes nothing, so a cancel whose answer was lost is sent again. */
  { .name = "cancel_job", .method = "POST", .path = "/jobs/{jobId}/action",
    .body = &t_job_action_body, .fixed_body = "{\"action\":\"cancel\"}",
    .query = &t_project_query, .response = &t_job_envelope,
    .returns = SC_RETURNS_MEMBER, .member = "job", .idempotent = 1,
    .summary = "Cancels a job." },
  { .name = "get_asset", .method = "GET", .path = "/assets/{assetId}",
    .query = &t_asset_query, .response = &t_asset_envelope,
    .returns = SC_RETURNS_MEMBER, .member = "asset", .idempotent = 1,
    .summary = "Gets an asset, with the signed URL of its file." },
  /* Each one makes an asset: sent twice, there are two. */
  { .name = "upload_asset", .method = "POST", .path = "/assets",
    .body = &t_upload_body, .query = &t_upload_query, .response = &t_asset_envelope,
    .returns = SC_RETURNS_MEMBER, .member = "asset", .idempotent = 0,
    .summary = "Uploads an image (base64) or a canvas as an asset." },
#ifdef SC_TEST_ENDPOINT
  SC_TEST_ENDPOINT,
#endif
};
#define SC_NENDPOINTS COUNT(sc_endpoints)

/* scenario.enums: those of POST-models.md in the order its issue listed
 * them, then those of the other pages. */
static const sc_enum *const sc_enums[] = {
  &e_model_type, &e_capability, &e_status, &e_privacy, &e_source,
  &e_access_restrictions, &e_class_status, &e_input_type, &e_input_kind,
  &e_background_behavior, &e_lr_scheduler, &e_optimize_for,
  &e_training_stage, &e_trigger_position,
  &e_list_privacy, &e_list_sort_by, &e_sort_direction, &e_list_status,
  &e_job_type, &e_job_status, &e_ip_detection_action, &e_finding_category,
  &e_train_action, &e_training_image_preset,
  &e_aspect_ratio, &e_scheduler, &e_inference_type, &e_job_action, &e_edit_capability,
  &e_asset_source, &e_asset_status, &e_audio_classification, NULL
};

/* The endpoint named by the string at arg; raises if there is none. */
static const sc_endpoint *check_endpoint(lua_State *L, int arg) {
  size_t len;
  const char *name = luaL_checklstring(L, arg, &len);
  for (int i = 0; i < SC_NENDPOINTS; i++)
    if (strlen(sc_endpoints[i].name) == len && memcmp(sc_endpoints[i].name, name, len) == 0)
      return &sc_endpoints[i];
  luaL_argerror(L, arg, lua_pushfstring(L, "unknown endpoint '%s'", name));
  return NULL;
}

/* Whether the endpoint's method takes a body argument. */
static int takes_body(const sc_endpoint *ep) {
  return ep->body != NULL && ep->fixed_body == NULL;
}

/* The number of path parameters in ep's path, each {name}. */
static int path_params(const sc_endpoint *ep) {
  int n = 0;
  for (const char *p = ep->path; (p = strchr(p, '{')) != NULL; p++) n++;
  return n;
}

#endif
