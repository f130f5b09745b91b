/*
 * The vocabulary the API schema is written in. schema_models.c holds the
 * data; check.c (requests) and decode.c (responses) are the engines
 * that walk it. A new endpoint is a new sc_endpoint, not new code.
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
};

typedef struct sc_endpoint {
  const char *name;       /* core.<name>, validate(name, ...) */
  const char *method;
  const char *path;
  const sc_type *body;
  const sc_type *query;   /* an SC_OBJECT of scalars */
  const sc_type *response;
  const char *result_key; /* the member of the response returned */
  int idempotent;         /* sending it twice does no harm (drives retries and transport) */
} sc_endpoint;

#endif
