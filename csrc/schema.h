/*
 * The vocabulary the API schema is written in. schema_models.c,
 * schema_endpoints.c and schema_generate.c hold the types, endpoint_table.c
 * the endpoint table: all data. encode.c (requests) and decode.c
 * (responses) are the engines that walk it, and carry no code of any one
 * endpoint. A new endpoint is a new entry in endpoint_table.c, not new
 * code.
 */
#ifndef SCENARIO_SCHEMA_H
#define SCENARIO_SCHEMA_H

#include "common.h"

typedef enum sc_kind {
  SC_STRING,  /* optional enm: the value must be one of its strings */
  SC_NUMBER,  /* optional bounds */
  SC_BOOLEAN,
  SC_INTENUM, /* a number that must be one of enm->ints */
  SC_ARRAY,   /* items */
  SC_OBJECT,  /* fields */
  SC_MAP,     /* string keys, every value of type items */
  SC_ANY      /* any JSON value ("unknown" on the reference page) */
} sc_kind;

typedef struct sc_enum {
  const char *name;          /* as exposed in scenario.enums */
  const char *const *strings; /* NULL-terminated, page order */
  const lua_Integer *ints;    /* for integer enums, page order */
  int count;
} sc_enum;

typedef struct sc_type sc_type;

#define SC_REQUIRED 1u
#define SC_NULLABLE 2u /* scenario.null is accepted and written as null */

typedef struct sc_field {
  const char *name;
  const sc_type *type;
  unsigned flags;
  /* The field's description, from its reference page, for the generated
   * editor definitions (---@field). Never NULL: every field has one. */
  const char *doc;
} sc_field;

#define SC_HAS_MIN 1u
#define SC_HAS_MAX 2u
#define SC_EXCL_MIN 4u /* minimum is exclusive */

struct sc_type {
  sc_kind kind;
  const sc_enum *enm;
  const sc_type *items;
  const sc_field *fields;
  int nfields;
  int max_length; /* in characters; 0 means no limit */
  unsigned bounds;
  double min, max;
  const char *name; /* an object's class name in the editor definitions, or NULL */
};

/* What a call gives back on success. */
typedef enum sc_returns {
  SC_RETURNS_MEMBER,   /* the response's member named by `member` */
  SC_RETURNS_DOCUMENT, /* the whole response */
  SC_RETURNS_NOTHING   /* true: the answer carries nothing to return */
} sc_returns;

/* A list endpoint's cursor: the query parameter that asks for a page, the
 * response member that names the next one, the member holding the page's
 * items, and the name of the client's iterator over every item. */
typedef struct sc_pages {
  const char *token;
  const char *next;
  const char *items;
  const char *each;
} sc_pages;

/* One endpoint, all there is to know of it: the C engines, the Lua
 * methods (client:<name>, client:<name>_async, scenario.validate_<name>),
 * the retry class, the reference and the replay server's routes all come
 * from this record. */
typedef struct sc_endpoint {
  const char *name;       /* client:<name>(path params..., body, query, opts) */
  const char *method;     /* GET, POST, PUT or DELETE */
  const char *path;       /* "/models/{modelId}": each {name} a path parameter */
  const sc_type *body;    /* the body argument's type; NULL: none */
  const char *fixed_body; /* sent as it is, with no body argument (body then documents it) */
  const sc_type *query;   /* an SC_OBJECT of scalars (and arrays, sent comma-separated) */
  const sc_type *response;
  /* The answer to a dry run, which comes with SC_STATUS_QUOTE and not the
   * response's shape: decoded against this and returned whole. NULL: the
   * endpoint has no dry run, and such an answer is read as any 2xx. */
  const sc_type *quote;
  sc_returns returns;
  int idempotent;         /* sending it twice does no harm: retries and transport follow */
  const char *member;     /* with SC_RETURNS_MEMBER */
  sc_pages pages;         /* for a list endpoint; all NULL otherwise */
  const char *summary;    /* one sentence, for the reference */
} sc_endpoint;

/* The status of a dry run's answer: a success that made nothing, only a
 * quote (generate.custom.md: "its recorded quotes came back with HTTP
 * status 269"; generate.txt2img.md: "`269` — `DryRunResponse`"). */
#define SC_STATUS_QUOTE 269

/* Path parameters an endpoint may have, at most: the Lua methods take
 * them as positional arguments (lua/scenario/methods.lua). */
#define SC_MAX_PARAMS 2

#endif
