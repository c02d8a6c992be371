/* A plugin for the host's tests, in plain C (C11) against include/codeanatomy/plugin_abi.h.
 * One source, built as several libraries: the compile definitions below make the malformed
 * variants. The good one exports
 *   add_one(int64) -> int64          (alias plus_one)
 *   fails(...)                        -> error CA_ERR_EXECUTION "fails always"
 *   wrong_length(int64) -> int64      (returns one row too few)
 *   wrong_type(int64) -> int64        (returns an array whose buffers are missing)
 * with the bundle option {"windows": true} also the window functions (for the host's bridge
 * tests; the manifest has no window_udf capability, so RegisterUdfs refuses them)
 *   running_sum(int64) -> int64       (sum of the frame's non-null values; NULL when none)
 *   fails_window(...)                 -> error CA_ERR_EXECUTION "window fails always"
 *   wrong_length_window(int64)        (returns one row too few)
 *   wrong_type_window(int64)          (returns an array whose buffers are missing)
 * with {"aggregates": true} also the aggregates (state: int64 sum and count)
 *   sum_agg(int64) -> int64           (alias total_agg; sum of non-null values, NULL when none)
 *   fails_agg(int64)                  -> update fails: CA_ERR_EXECUTION "aggregate fails always"
 *   wrong_length_agg(int64)           (finalize returns two rows)
 * and with {"null_aggregate": true} as well null_fn_agg, whose new_accumulator is NULL;
 * {"no_scalars": true} leaves the scalar functions out; {"constants": true} gives add_one a
 * return_type_with_constants (counted: test_plugin_typed_with_constants); with {"tables": true}
 * also the table functions (their descriptors say numbers_fn(count int64, [fail bool]); a 1.0
 * build has none, so numbers_fn checks its own arguments there)
 *   numbers_fn(count[, fail])         -> the "numbers" provider with `count` rows
 *   fails_fn(...)                     -> error CA_ERR_EXECUTION "table function fails always"
 *   no_provider_fn(...)               -> CA_OK without a provider
 * and {"bad_descriptor": true} gives numbers_fn a descriptor that is not JSON.
 * and a table provider "numbers" {n: int64} with rows 0..count-1 (options {"count": N}), whose
 * stream fails after the first batch when the options say {"fail": true}.
 *
 * Variants: TEST_ABI_MAJOR, TEST_ABI_MINOR, TEST_ENGINE_MAJOR, TEST_ARROW_MAJOR,
 * TEST_SHORT_MANIFEST, TEST_NULL_MANIFEST_FN, TEST_NO_ENTRY, TEST_BAD_UTF8_NAME,
 * TEST_NO_CAPABILITIES, TEST_NULL_INVOKE; TEST_FROZEN_ABI_1_0 builds the good plugin against the
 * frozen 1.0 header (tests/plugins/frozen), which must keep loading as the ABI grows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef TEST_FROZEN_ABI_1_0
#include "frozen/plugin_abi_1_0.h" /* built against the released 1.0 header */
#else
#include "codeanatomy/plugin_abi.h"
#endif

#ifndef TEST_ABI_MAJOR
#define TEST_ABI_MAJOR CA_PLUGIN_ABI_MAJOR
#endif
#ifndef TEST_ABI_MINOR
#define TEST_ABI_MINOR CA_PLUGIN_ABI_MINOR
#endif
#ifndef TEST_ENGINE_MAJOR
#define TEST_ENGINE_MAJOR 0
#endif
#ifndef TEST_ARROW_MAJOR
#error "TEST_ARROW_MAJOR must be defined (the host's Arrow major)"
#endif
#ifdef TEST_ARROW_MAJOR_OVERRIDE
#undef TEST_ARROW_MAJOR
#define TEST_ARROW_MAJOR TEST_ARROW_MAJOR_OVERRIDE
#endif

#define EXPORT __attribute__((visibility("default")))

static void set_error(CaPluginError* error, int32_t code, const char* message) {
  error->code = code;
  snprintf(error->message, CA_ERROR_MESSAGE_SIZE, "%s", message);
}

/* ---- int64 arrays through the C Data Interface ---- */

struct Int64ArrayData {
  const void* buffers[2];
  int64_t* values;
  uint8_t* validity; /* NULL: no nulls */
};

static void release_int64_array(struct ArrowArray* array) {
  struct Int64ArrayData* data = (struct Int64ArrayData*)array->private_data;
  free(data->values);
  free(data->validity);
  free(data);
  array->release = NULL;
}

/* A non-null int64 array of `length` values `values` (taken). */
static void make_int64_array(struct ArrowArray* out, int64_t* values, int64_t length) {
  struct Int64ArrayData* data = (struct Int64ArrayData*)malloc(sizeof(struct Int64ArrayData));
  data->values = values;
  data->validity = NULL;
  data->buffers[0] = NULL;
  data->buffers[1] = values;
  out->length = length;
  out->null_count = 0;
  out->offset = 0;
  out->n_buffers = 2;
  out->n_children = 0;
  out->buffers = data->buffers;
  out->children = NULL;
  out->dictionary = NULL;
  out->release = release_int64_array;
  out->private_data = data;
}

static void release_static_schema(struct ArrowSchema* schema) { schema->release = NULL; }

static void make_int64_schema(struct ArrowSchema* out, const char* name) {
  out->format = "l";
  out->name = name;
  out->metadata = NULL;
  out->flags = ARROW_FLAG_NULLABLE;
  out->n_children = 0;
  out->children = NULL;
  out->dictionary = NULL;
  out->release = release_static_schema;
  out->private_data = NULL;
}

/* ---- scalar functions ---- */

enum Kind { ADD_ONE = 0, FAILS = 1, WRONG_LENGTH = 2, WRONG_TYPE = 3 };

static int return_type(const CaScalarUdf* self, struct ArrowSchema* const* arg_types,
                       int64_t n_args, struct ArrowSchema* out, CaPluginError* error) {
  intptr_t kind = (intptr_t)self->private_data;
  if (kind != FAILS && (n_args != 1 || strcmp(arg_types[0]->format, "l") != 0)) {
    set_error(error, CA_ERR_INVALID_ARGUMENT, "expects one int64 argument");
    return CA_ERR_INVALID_ARGUMENT;
  }
  make_int64_schema(out, "");
  return CA_OK;
}

static int invoke(const CaScalarUdf* self, struct ArrowSchema* const* arg_types,
                  struct ArrowArray* const* args, int64_t n_args, int64_t num_rows,
                  struct ArrowArray* out, CaPluginError* error) {
  (void)arg_types;
  intptr_t kind = (intptr_t)self->private_data;
  if (kind == FAILS) {
    set_error(error, CA_ERR_EXECUTION, "fails always");
    return CA_ERR_EXECUTION;
  }
  if (n_args != 1) {
    set_error(error, CA_ERR_INVALID_ARGUMENT, "expects one argument");
    return CA_ERR_INVALID_ARGUMENT;
  }
  const struct ArrowArray* in = args[0];
  const int64_t* values = (const int64_t*)in->buffers[1] + in->offset;
  int64_t n = kind == WRONG_LENGTH ? num_rows - 1 : num_rows;
  if (n < 0) n = 0;
  int64_t* result = (int64_t*)malloc(sizeof(int64_t) * (size_t)(num_rows > 0 ? num_rows : 1));
  /* A constant argument comes as one row for all. */
  for (int64_t i = 0; i < n; ++i) result[i] = values[in->length == 1 ? 0 : i] + 1;
  make_int64_array(out, result, n);
  if (kind == WRONG_TYPE) {
    out->n_buffers = 1; /* an int64 array needs two */
  }
  return CA_OK;
}

#ifndef TEST_FROZEN_ABI_1_0
/* add_one's result type from its constants (ABI 1.1), with the bundle option {"constants": true}:
 * counted, so the host tests can check it is asked once per call bound, not once per batch. */
static int64_t g_typed_with_constants = 0;
EXPORT int64_t test_plugin_typed_with_constants(void) { return g_typed_with_constants; }

static int return_type_with_constants(const CaScalarUdf* self,
                                      struct ArrowSchema* const* arg_types,
                                      struct ArrowArray* const* constants, int64_t n_args,
                                      struct ArrowSchema* out, CaPluginError* error) {
  (void)constants;
  __atomic_add_fetch(&g_typed_with_constants, 1, __ATOMIC_RELAXED);
  return return_type(self, arg_types, n_args, out, error);
}
#endif

/* Releases seen, so the host tests can check every object is released exactly once (a second
 * release of one object would find release == NULL and is counted as an error). */
static int64_t g_releases = 0;
static int64_t g_double_releases = 0;
EXPORT int64_t test_plugin_releases(void) { return g_releases; }
EXPORT int64_t test_plugin_double_releases(void) { return g_double_releases; }

static void release_udf(CaScalarUdf* self) {
  if (self->release == NULL) ++g_double_releases;
  ++g_releases;
  self->release = NULL;
}

static const char* const kAddOneAliases[] = {"plus_one"};

static void fill_udf(CaScalarUdf* u, const char* name, intptr_t kind) {
  memset(u, 0, sizeof(*u));
  u->struct_size = sizeof(CaScalarUdf);
  u->name = name;
  u->volatility = CA_VOLATILITY_IMMUTABLE;
  u->return_type = return_type;
  u->invoke = invoke;
  u->release = release_udf;
  u->private_data = (void*)kind;
}

/* ---- window functions ---- */

enum WindowKind {
  RUNNING_SUM = 0,
  FAILS_WINDOW = 1,
  WRONG_LENGTH_WINDOW = 2,
  WRONG_TYPE_WINDOW = 3
};

static int window_return_type(const CaWindowUdf* self, struct ArrowSchema* const* arg_types,
                              int64_t n_args, struct ArrowSchema* out, CaPluginError* error) {
  intptr_t kind = (intptr_t)self->private_data;
  if (kind != FAILS_WINDOW && (n_args != 1 || strcmp(arg_types[0]->format, "l") != 0)) {
    set_error(error, CA_ERR_INVALID_ARGUMENT, "expects one int64 argument");
    return CA_ERR_INVALID_ARGUMENT;
  }
  make_int64_schema(out, "");
  return CA_OK;
}

static int window_evaluate(const CaWindowUdf* self, struct ArrowSchema* const* arg_types,
                           struct ArrowArray* const* args, int64_t n_args, int64_t num_rows,
                           const int64_t* frame_start, const int64_t* frame_end,
                           struct ArrowArray* out, CaPluginError* error) {
  (void)arg_types;
  intptr_t kind = (intptr_t)self->private_data;
  if (kind == FAILS_WINDOW) {
    set_error(error, CA_ERR_EXECUTION, "window fails always");
    return CA_ERR_EXECUTION;
  }
  if (n_args != 1) {
    set_error(error, CA_ERR_INVALID_ARGUMENT, "expects one argument");
    return CA_ERR_INVALID_ARGUMENT;
  }
  const struct ArrowArray* in = args[0];
  const uint8_t* valid = (const uint8_t*)in->buffers[0];
  const int64_t* values = (const int64_t*)in->buffers[1];
  int64_t n = kind == WRONG_LENGTH_WINDOW ? num_rows - 1 : num_rows;
  if (n < 0) n = 0;
  int64_t* result = (int64_t*)malloc(sizeof(int64_t) * (size_t)(num_rows > 0 ? num_rows : 1));
  uint8_t* bits = (uint8_t*)calloc((size_t)(num_rows / 8 + 1), 1);
  int64_t nulls = 0;
  for (int64_t r = 0; r < n; ++r) {
    int64_t sum = 0, seen = 0;
    for (int64_t k = frame_start[r]; k < frame_end[r]; ++k) {
      int64_t at = in->offset + k;
      if (valid != NULL && !(valid[at / 8] & (1 << (at % 8)))) continue;
      sum += values[at];
      ++seen;
    }
    result[r] = sum;
    if (seen > 0) {
      bits[r / 8] |= (uint8_t)(1 << (r % 8));
    } else {
      ++nulls;
    }
  }
  make_int64_array(out, result, n);
  /* The validity bitmap rides in the array's private data (freed with it). */
  struct Int64ArrayData* data = (struct Int64ArrayData*)out->private_data;
  data->validity = bits;
  data->buffers[0] = bits;
  out->null_count = nulls;
  if (kind == WRONG_TYPE_WINDOW) {
    out->n_buffers = 1; /* an int64 array needs two */
  }
  return CA_OK;
}

static void release_window(CaWindowUdf* self) {
  if (self->release == NULL) ++g_double_releases;
  ++g_releases;
  self->release = NULL;
}

static void fill_window(CaWindowUdf* u, const char* name, intptr_t kind) {
  memset(u, 0, sizeof(*u));
  u->struct_size = sizeof(CaWindowUdf);
  u->name = name;
  u->volatility = CA_VOLATILITY_IMMUTABLE;
  u->return_type = window_return_type;
  u->evaluate_partition = window_evaluate;
  u->release = release_window;
  u->private_data = (void*)kind;
}

/* ---- aggregate functions ---- */

enum AggregateKind { SUM_AGG = 0, FAILS_AGG = 1, WRONG_LENGTH_AGG = 2, NULL_FN_AGG = 3 };

/* Accumulators alive (made and not yet released), so the host tests can check none leaks. */
static int64_t g_live_accumulators = 0;
EXPORT int64_t test_plugin_live_accumulators(void) { return g_live_accumulators; }

struct SumState {
  intptr_t kind;
  int64_t sum;
  int64_t count; /* non-null values seen */
};

static int agg_check_args(struct ArrowSchema* const* arg_types, int64_t n_args,
                          CaPluginError* error) {
  if (n_args != 1 || strcmp(arg_types[0]->format, "l") != 0) {
    set_error(error, CA_ERR_INVALID_ARGUMENT, "expects one int64 argument");
    return CA_ERR_INVALID_ARGUMENT;
  }
  return CA_OK;
}

static int agg_return_type(const CaAggregateUdf* self, struct ArrowSchema* const* arg_types,
                           int64_t n_args, struct ArrowSchema* out, CaPluginError* error) {
  (void)self;
  int rc = agg_check_args(arg_types, n_args, error);
  if (rc != CA_OK) return rc;
  make_int64_schema(out, "");
  return CA_OK;
}

/* State: the sum and the count of non-null values, both int64. */
static int agg_state_types(const CaAggregateUdf* self, struct ArrowSchema* const* arg_types,
                           int64_t n_args, struct ArrowSchema* out, int64_t max_state,
                           int64_t* n_state, CaPluginError* error) {
  (void)self;
  int rc = agg_check_args(arg_types, n_args, error);
  if (rc != CA_OK) return rc;
  if (max_state < 2) {
    set_error(error, CA_ERR_INVALID_ARGUMENT, "needs two state arrays");
    return CA_ERR_INVALID_ARGUMENT;
  }
  make_int64_schema(&out[0], "sum");
  make_int64_schema(&out[1], "count");
  *n_state = 2;
  return CA_OK;
}

static int64_t int64_at(const struct ArrowArray* a, int64_t i, int* valid) {
  int64_t at = a->offset + i;
  const uint8_t* bits = (const uint8_t*)a->buffers[0];
  *valid = bits == NULL || (bits[at / 8] & (1 << (at % 8)));
  return ((const int64_t*)a->buffers[1])[at];
}

static int acc_update(CaAccumulator* self, struct ArrowSchema* const* arg_types,
                      struct ArrowArray* const* args, int64_t n_args, int64_t num_rows,
                      CaPluginError* error) {
  (void)arg_types;
  struct SumState* st = (struct SumState*)self->private_data;
  if (st->kind == FAILS_AGG) {
    set_error(error, CA_ERR_EXECUTION, "aggregate fails always");
    return CA_ERR_EXECUTION;
  }
  if (n_args != 1 || args[0]->length != num_rows) {
    set_error(error, CA_ERR_INVALID_ARGUMENT, "expects one argument of num_rows rows");
    return CA_ERR_INVALID_ARGUMENT;
  }
  for (int64_t i = 0; i < num_rows; ++i) {
    int valid;
    int64_t v = int64_at(args[0], i, &valid);
    if (!valid) continue;
    st->sum += v;
    ++st->count;
  }
  return CA_OK;
}

static int64_t* one_value(int64_t v) {
  int64_t* values = (int64_t*)malloc(sizeof(int64_t) * 2);
  values[0] = v;
  values[1] = v;
  return values;
}

static int acc_state(CaAccumulator* self, struct ArrowArray* out, int64_t n_state,
                     CaPluginError* error) {
  struct SumState* st = (struct SumState*)self->private_data;
  if (n_state != 2) {
    set_error(error, CA_ERR_INVALID_ARGUMENT, "two state arrays");
    return CA_ERR_INVALID_ARGUMENT;
  }
  make_int64_array(&out[0], one_value(st->sum), 1);
  make_int64_array(&out[1], one_value(st->count), 1);
  return CA_OK;
}

static int acc_merge(CaAccumulator* self, struct ArrowArray* const* states, int64_t n_state,
                     CaPluginError* error) {
  struct SumState* st = (struct SumState*)self->private_data;
  if (n_state != 2 || states[0]->length != states[1]->length) {
    set_error(error, CA_ERR_INVALID_ARGUMENT, "two state arrays of equal length");
    return CA_ERR_INVALID_ARGUMENT;
  }
  for (int64_t i = 0; i < states[0]->length; ++i) {
    int valid;
    st->sum += int64_at(states[0], i, &valid);
    st->count += int64_at(states[1], i, &valid);
  }
  return CA_OK;
}

/* The sum, NULL when no value was seen; WRONG_LENGTH_AGG returns two rows. */
static int acc_finalize(CaAccumulator* self, struct ArrowArray* out, CaPluginError* error) {
  (void)error;
  struct SumState* st = (struct SumState*)self->private_data;
  int64_t n = st->kind == WRONG_LENGTH_AGG ? 2 : 1;
  make_int64_array(out, one_value(st->sum), n);
  if (st->count == 0) {
    struct Int64ArrayData* data = (struct Int64ArrayData*)out->private_data;
    data->validity = (uint8_t*)calloc(1, 1);
    data->buffers[0] = data->validity;
    out->null_count = n;
  }
  return CA_OK;
}

static void acc_release(CaAccumulator* self) {
  if (self->release == NULL) ++g_double_releases;
  --g_live_accumulators;
  free(self->private_data);
  self->private_data = NULL;
  self->release = NULL;
}

static int agg_new_accumulator(const CaAggregateUdf* self, struct ArrowSchema* const* arg_types,
                               int64_t n_args, CaAccumulator* out, CaPluginError* error) {
  int rc = agg_check_args(arg_types, n_args, error);
  if (rc != CA_OK) return rc;
  struct SumState* st = (struct SumState*)calloc(1, sizeof(struct SumState));
  st->kind = (intptr_t)self->private_data;
  memset(out, 0, sizeof(*out));
  out->struct_size = sizeof(CaAccumulator);
  out->update = acc_update;
  out->state = acc_state;
  out->merge = acc_merge;
  out->finalize = acc_finalize;
  out->release = acc_release;
  out->private_data = st;
  ++g_live_accumulators;
  return CA_OK;
}

static void release_aggregate(CaAggregateUdf* self) {
  if (self->release == NULL) ++g_double_releases;
  ++g_releases;
  self->release = NULL;
}

static const char* const kSumAggAliases[] = {"total_agg"};

static void fill_aggregate(CaAggregateUdf* u, const char* name, intptr_t kind) {
  memset(u, 0, sizeof(*u));
  u->struct_size = sizeof(CaAggregateUdf);
  u->name = name;
  u->volatility = CA_VOLATILITY_IMMUTABLE;
  u->return_type = agg_return_type;
  u->state_types = agg_state_types;
  u->new_accumulator = kind == NULL_FN_AGG ? NULL : agg_new_accumulator;
  u->release = release_aggregate;
  u->private_data = (void*)kind;
}


/* ---- table functions ---- */

enum { NUMBERS_FN = 1, FAILS_FN = 2, NO_PROVIDER_FN = 3 };

static int create_table_provider(const char* name, const char* options_json, CaTableProvider* out,
                                 CaPluginError* error);

static int table_function_call(const struct CaTableFunction* self,
                               struct ArrowSchema* const* arg_types,
                               struct ArrowArray* const* args, int64_t n_args,
                               CaTableProvider* out, CaPluginError* error) {
  intptr_t kind = (intptr_t)self->private_data;
  if (kind == FAILS_FN) {
    set_error(error, CA_ERR_EXECUTION, "table function fails always");
    return CA_ERR_EXECUTION;
  }
  if (kind == NO_PROVIDER_FN) return CA_OK;
  /* numbers_fn: a one-row int64 count, then an optional one-row bool fail. */
  if (n_args < 1 || n_args > 2 || strcmp(arg_types[0]->format, "l") != 0 ||
      args[0]->length != 1 || args[0]->null_count != 0) {
    set_error(error, CA_ERR_INVALID_ARGUMENT, "numbers_fn takes a non-null int64 count");
    return CA_ERR_INVALID_ARGUMENT;
  }
  int64_t count = ((const int64_t*)args[0]->buffers[1])[args[0]->offset];
  int fail = 0;
  if (n_args == 2) {
    if (strcmp(arg_types[1]->format, "b") != 0 || args[1]->length != 1) {
      set_error(error, CA_ERR_INVALID_ARGUMENT, "numbers_fn: fail must be a bool");
      return CA_ERR_INVALID_ARGUMENT;
    }
    const uint8_t* bits = (const uint8_t*)args[1]->buffers[1];
    fail = (bits[args[1]->offset / 8] >> (args[1]->offset % 8)) & 1;
  }
  char options[64];
  snprintf(options, sizeof(options), "{\"count\":%lld%s}", (long long)count,
           fail ? ",\"fail\":true" : "");
  return create_table_provider("numbers", options, out, error);
}

static void release_table_function(CaTableFunction* self) {
  if (self->release == NULL) ++g_double_releases;
  ++g_releases;
  self->release = NULL;
}

static void fill_table_function(CaTableFunction* f, const char* name, intptr_t kind,
                                const char* descriptor) {
  memset(f, 0, sizeof(*f));
  f->struct_size = (uint32_t)sizeof(CaTableFunction);
  f->name = name;
  f->call = table_function_call;
  f->release = release_table_function;
  f->private_data = (void*)kind;
#ifndef TEST_FROZEN_ABI_1_0
  f->descriptor_json = descriptor;
#else
  (void)descriptor;
#endif
}

static const char kNumbersDescriptor[] =
    "{\"name\":\"numbers_fn\",\"kind\":\"table\",\"aliases\":[],"
    "\"parameter_names\":[\"count\",\"fail\"],\"signatures\":[[\"int64\"],[\"int64\",\"bool\"]],"
    "\"variadic\":false,\"volatility\":\"volatile\",\"return_type\":\"table\","
    "\"doc\":\"Rows 0..count-1.\",\"config_defaults\":{}}";

static void release_bundle(CaUdfBundle* bundle) {
  ++g_releases;
  free(bundle->scalar);
  free(bundle->window);
  free(bundle->aggregate);
  free(bundle->table_functions);
  bundle->release = NULL;
}

static int udf_bundle_with_options(const char* options_json, CaUdfBundle* out,
                                   CaPluginError* error) {
  if (options_json != NULL && strstr(options_json, "\"bad\"") != NULL) {
    set_error(error, CA_ERR_INVALID_ARGUMENT, "option 'bad' is not accepted");
    return CA_ERR_INVALID_ARGUMENT;
  }
  memset(out, 0, sizeof(*out));
  out->struct_size = sizeof(CaUdfBundle);
  int no_scalars = options_json != NULL && strstr(options_json, "\"no_scalars\": true") != NULL;
  out->n_scalar = no_scalars ? 0 : 4;
  out->scalar = (CaScalarUdf*)calloc(4, sizeof(CaScalarUdf));
  fill_udf(&out->scalar[0], "add_one", ADD_ONE);
  out->scalar[0].aliases = kAddOneAliases;
  out->scalar[0].n_aliases = 1;
  fill_udf(&out->scalar[1], "fails", FAILS);
  fill_udf(&out->scalar[2], "wrong_length", WRONG_LENGTH);
  fill_udf(&out->scalar[3], "wrong_type", WRONG_TYPE);
#ifdef TEST_NULL_INVOKE
  out->scalar[0].invoke = NULL; /* a UDF without its function pointer */
#endif
#ifndef TEST_FROZEN_ABI_1_0
  if (options_json != NULL && strstr(options_json, "\"constants\": true") != NULL) {
    out->scalar[0].return_type_with_constants = return_type_with_constants;
  }
#endif
  if (options_json != NULL && strstr(options_json, "\"windows\": true") != NULL) {
    out->n_window = 4;
    out->window = (CaWindowUdf*)calloc(4, sizeof(CaWindowUdf));
    fill_window(&out->window[0], "running_sum", RUNNING_SUM);
    fill_window(&out->window[1], "fails_window", FAILS_WINDOW);
    fill_window(&out->window[2], "wrong_length_window", WRONG_LENGTH_WINDOW);
    fill_window(&out->window[3], "wrong_type_window", WRONG_TYPE_WINDOW);
  }
  if (options_json != NULL && strstr(options_json, "\"aggregates\": true") != NULL) {
    int with_null = strstr(options_json, "\"null_aggregate\": true") != NULL;
    out->n_aggregate = with_null ? 4 : 3;
    out->aggregate = (CaAggregateUdf*)calloc(4, sizeof(CaAggregateUdf));
    fill_aggregate(&out->aggregate[0], "sum_agg", SUM_AGG);
    out->aggregate[0].aliases = kSumAggAliases;
    out->aggregate[0].n_aliases = 1;
    fill_aggregate(&out->aggregate[1], "fails_agg", FAILS_AGG);
    fill_aggregate(&out->aggregate[2], "wrong_length_agg", WRONG_LENGTH_AGG);
    fill_aggregate(&out->aggregate[3], "null_fn_agg", NULL_FN_AGG);
  }
  if (options_json != NULL && strstr(options_json, "\"tables\": true") != NULL) {
    int bad = strstr(options_json, "\"bad_descriptor\": true") != NULL;
    out->n_table_functions = 3;
    out->table_functions = (CaTableFunction*)calloc(3, sizeof(CaTableFunction));
    fill_table_function(&out->table_functions[0], "numbers_fn", NUMBERS_FN,
                        bad ? "{not json" : kNumbersDescriptor);
    fill_table_function(&out->table_functions[1], "fails_fn", FAILS_FN, NULL);
    fill_table_function(&out->table_functions[2], "no_provider_fn", NO_PROVIDER_FN, NULL);
  }
  out->release = release_bundle;
  return CA_OK;
}

/* ---- the "numbers" table provider ---- */

struct Numbers {
  int64_t count;
  int fail;
};

struct NumbersStream {
  int64_t next;
  int64_t count;
  int fail;
  int batches;
};

static int stream_schema(struct ArrowArrayStream* stream, struct ArrowSchema* out) {
  (void)stream;
  /* a struct of one int64 column "n" */
  static struct ArrowSchema child;
  static struct ArrowSchema* children[1];
  make_int64_schema(&child, "n");
  children[0] = &child;
  out->format = "+s";
  out->name = "";
  out->metadata = NULL;
  out->flags = 0;
  out->n_children = 1;
  out->children = children;
  out->dictionary = NULL;
  out->release = release_static_schema;
  out->private_data = NULL;
  /* The child is static: its release is a no-op. */
  return 0;
}

struct StructArrayData {
  const void* buffers[1];
  struct ArrowArray* children[1];
  struct ArrowArray child;
};

static void release_struct_array(struct ArrowArray* array) {
  struct StructArrayData* data = (struct StructArrayData*)array->private_data;
  if (data->child.release != NULL) data->child.release(&data->child);
  free(data);
  array->release = NULL;
}

static int stream_next(struct ArrowArrayStream* stream, struct ArrowArray* out) {
  struct NumbersStream* s = (struct NumbersStream*)stream->private_data;
  if (s->fail && s->batches == 1) return 5; /* EIO, midway */
  if (s->next >= s->count) {
    out->release = NULL; /* end of stream */
    return 0;
  }
  int64_t n = s->count - s->next < 1000 ? s->count - s->next : 1000;
  int64_t* values = (int64_t*)malloc(sizeof(int64_t) * (size_t)n);
  for (int64_t i = 0; i < n; ++i) values[i] = s->next + i;
  s->next += n;
  s->batches += 1;
  struct StructArrayData* data = (struct StructArrayData*)malloc(sizeof(struct StructArrayData));
  make_int64_array(&data->child, values, n);
  data->buffers[0] = NULL;
  data->children[0] = &data->child;
  out->length = n;
  out->null_count = 0;
  out->offset = 0;
  out->n_buffers = 1;
  out->n_children = 1;
  out->buffers = data->buffers;
  out->children = data->children;
  out->dictionary = NULL;
  out->release = release_struct_array;
  out->private_data = data;
  return 0;
}

static const char* stream_error(struct ArrowArrayStream* stream) {
  (void)stream;
  return "the numbers stream failed midway (as asked)";
}

static void stream_release(struct ArrowArrayStream* stream) {
  free(stream->private_data);
  stream->release = NULL;
}

static int provider_schema(const CaTableProvider* self, struct ArrowSchema* out,
                           CaPluginError* error) {
  (void)self;
  (void)error;
  return stream_schema(NULL, out);
}

static int provider_scan(const CaTableProvider* self, const int32_t* projection,
                         int64_t n_projection, const uint8_t* filters, int64_t filters_size,
                         int64_t limit, struct ArrowArrayStream* out, CaPluginError* error) {
  (void)filters;
  (void)filters_size;
  (void)limit;
  if (projection != NULL && (n_projection != 1 || projection[0] != 0)) {
    set_error(error, CA_ERR_INVALID_ARGUMENT, "numbers has one column");
    return CA_ERR_INVALID_ARGUMENT;
  }
  const struct Numbers* numbers = (const struct Numbers*)self->private_data;
  struct NumbersStream* s = (struct NumbersStream*)calloc(1, sizeof(struct NumbersStream));
  s->count = numbers->count;
  s->fail = numbers->fail;
  out->get_schema = stream_schema;
  out->get_next = stream_next;
  out->get_last_error = stream_error;
  out->release = stream_release;
  out->private_data = s;
  return CA_OK;
}

static void provider_release(CaTableProvider* self) {
  ++g_releases;
  free(self->private_data);
  self->release = NULL;
}

static int create_table_provider(const char* name, const char* options_json, CaTableProvider* out,
                                 CaPluginError* error) {
  if (strcmp(name, "numbers") != 0) {
    set_error(error, CA_ERR_NOT_FOUND, "no such provider");
    return CA_ERR_NOT_FOUND;
  }
  struct Numbers* numbers = (struct Numbers*)calloc(1, sizeof(struct Numbers));
  numbers->count = 10;
  const char* count = options_json ? strstr(options_json, "\"count\":") : NULL;
  if (count != NULL) numbers->count = strtoll(count + 8, NULL, 10);
  numbers->fail = options_json != NULL && strstr(options_json, "\"fail\":true") != NULL;
  memset(out, 0, sizeof(*out));
  out->struct_size = sizeof(CaTableProvider);
  out->schema = provider_schema;
  out->supports_filters = NULL;
  out->scan = provider_scan;
  out->release = provider_release;
  out->private_data = numbers;
  return CA_OK;
}

/* ---- manifest, exports, module ---- */

static const char* const kFeatures[] = {"test"};
static const char* const kProviders[] = {"numbers"};
static const char* const kScalars[] = {"add_one", "fails", "wrong_length", "wrong_type"};
static const char* const kTableFunctions[] = {"numbers_fn", "fails_fn", "no_provider_fn"};

#ifdef TEST_BAD_UTF8_NAME
#define PLUGIN_NAME "bad\xff\xfename"
#else
#define PLUGIN_NAME "test_plugin"
#endif

#ifdef TEST_NO_CAPABILITIES
#define CAPABILITIES 0
#else
#define CAPABILITIES \
  (CA_CAP_SCALAR_UDF | CA_CAP_AGGREGATE_UDF | CA_CAP_TABLE_PROVIDER | CA_CAP_TABLE_FUNCTION)
#endif

static const CaPluginManifest kManifest = {
#ifdef TEST_SHORT_MANIFEST
    (uint32_t)(sizeof(CaPluginManifest) - 8),
#else
    (uint32_t)sizeof(CaPluginManifest),
#endif
    TEST_ABI_MAJOR,
    TEST_ABI_MINOR,
    TEST_ENGINE_MAJOR,
    TEST_ARROW_MAJOR,
    PLUGIN_NAME,
    "1.0.0",
    "test-build",
    CAPABILITIES,
    kFeatures,
    1};

__attribute__((unused)) static const CaPluginManifest* manifest(void) { return &kManifest; }

static const CaPluginExports kExports = {
    (uint32_t)sizeof(CaPluginExports), kProviders, 1, kScalars, 4, NULL, 0, NULL, 0,
    kTableFunctions, 3};

static const CaPluginExports* exports(void) { return &kExports; }

static const CaPluginModule kModule = {(uint32_t)sizeof(CaPluginModule),
#ifdef TEST_NULL_MANIFEST_FN
                                       NULL,
#else
                                       manifest,
#endif
                                       exports, udf_bundle_with_options, create_table_provider};

#ifndef TEST_NO_ENTRY
EXPORT const CaPluginModule* codeanatomy_plugin_entry(void) { return &kModule; }
#else
EXPORT const CaPluginModule* some_other_symbol(void) { return &kModule; }
#endif
