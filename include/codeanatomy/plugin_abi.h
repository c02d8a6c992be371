/* codeanatomy plugin ABI, version 1.1 (1.1 appended: CaScalarUdf.return_type_with_constants and
 * descriptor_json on aggregate, window and table functions).
 *
 * A plugin is a shared library exporting one symbol, CA_PLUGIN_ENTRY_SYMBOL, of type
 * CaPluginEntryFn. Everything crossing this boundary is plain C: the structs below, function
 * pointers, and the Arrow C Data / C Stream Interface structs. No C++ type, exception or
 * unwinding crosses; a plugin catches everything at its edge and reports it in a CaPluginError.
 *
 * Versioning: the host checks the manifest before any other call. ABI majors must be equal and
 * the plugin's minor must not exceed the host's. Later minors only append fields at the end of
 * structs (each struct starts with its size, struct_size, so the host reads only what the
 * plugin knows) and append new members to enums; nothing is removed or reordered.
 *
 * Ownership: every object a plugin hands out has `release` and `private_data`. The host calls
 * `release` exactly once when it is done with the object (release of an already released object
 * is the caller's bug; plugins set `release` to NULL once released, as the Arrow C Data
 * Interface does). Strings in a manifest and exports live as long as the library is loaded.
 *
 * Threading: manifest() and exports() may be called from any thread. A CaScalarUdf's
 * return_type and invoke may be called concurrently from several threads on the same object;
 * plugins keep them reentrant. A CaTableProvider's methods may be called concurrently; each
 * ArrowArrayStream it returns is used by one thread at a time.
 */
#ifndef CODEANATOMY_PLUGIN_ABI_H
#define CODEANATOMY_PLUGIN_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Arrow C Data Interface (https://arrow.apache.org/docs/format/CDataInterface.html) ---- */
#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE

#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4

struct ArrowSchema {
  const char* format;
  const char* name;
  const char* metadata;
  int64_t flags;
  int64_t n_children;
  struct ArrowSchema** children;
  struct ArrowSchema* dictionary;
  void (*release)(struct ArrowSchema*);
  void* private_data;
};

struct ArrowArray {
  int64_t length;
  int64_t null_count;
  int64_t offset;
  int64_t n_buffers;
  int64_t n_children;
  const void** buffers;
  struct ArrowArray** children;
  struct ArrowArray* dictionary;
  void (*release)(struct ArrowArray*);
  void* private_data;
};

#endif /* ARROW_C_DATA_INTERFACE */

#ifndef ARROW_C_STREAM_INTERFACE
#define ARROW_C_STREAM_INTERFACE

struct ArrowArrayStream {
  int (*get_schema)(struct ArrowArrayStream*, struct ArrowSchema* out);
  int (*get_next)(struct ArrowArrayStream*, struct ArrowArray* out);
  const char* (*get_last_error)(struct ArrowArrayStream*);
  void (*release)(struct ArrowArrayStream*);
  void* private_data;
};

#endif /* ARROW_C_STREAM_INTERFACE */

/* ---- versions and identity ---- */

#define CA_PLUGIN_ABI_MAJOR 1
#define CA_PLUGIN_ABI_MINOR 1
/* The one symbol a plugin exports. */
#define CA_PLUGIN_ENTRY_SYMBOL "codeanatomy_plugin_entry"

/* Capability bits of CaPluginManifest.capabilities. */
#define CA_CAP_TABLE_PROVIDER ((uint64_t)1 << 0)
#define CA_CAP_SCALAR_UDF ((uint64_t)1 << 1)
#define CA_CAP_AGGREGATE_UDF ((uint64_t)1 << 2)
#define CA_CAP_WINDOW_UDF ((uint64_t)1 << 3)
#define CA_CAP_TABLE_FUNCTION ((uint64_t)1 << 4)

/* ---- errors ---- */

/* Return codes of every fallible call (0 is success). */
enum CaStatusCode {
  CA_OK = 0,
  CA_ERR_INVALID_ARGUMENT = 1, /* bad options, unknown name, wrong argument types */
  CA_ERR_EXECUTION = 2,        /* the computation failed */
  CA_ERR_NOT_FOUND = 3,        /* no such provider / function */
  CA_ERR_NOT_SUPPORTED = 4,
  CA_ERR_INTERNAL = 5
};

#define CA_ERROR_MESSAGE_SIZE 1024

/* Filled by the plugin when a call fails; owned by the host (no release needed). */
typedef struct CaPluginError {
  int32_t code;                         /* a CaStatusCode */
  char message[CA_ERROR_MESSAGE_SIZE];  /* NUL-terminated UTF-8, truncated to fit */
} CaPluginError;

/* ---- manifest ---- */

typedef struct CaPluginManifest {
  uint32_t struct_size; /* sizeof(CaPluginManifest) as the plugin was built */
  uint16_t abi_major;
  uint16_t abi_minor;
  uint16_t engine_major; /* the codeanatomy engine major the plugin was built against */
  uint16_t arrow_major;  /* the Arrow major the plugin was built against */
  const char* plugin_name;
  const char* plugin_version;
  const char* build_id;
  uint64_t capabilities; /* CA_CAP_* bits */
  const char* const* features;
  uint64_t n_features;
} CaPluginManifest;

/* ---- scalar functions ---- */

enum CaVolatility { CA_VOLATILITY_IMMUTABLE = 0, CA_VOLATILITY_STABLE = 1, CA_VOLATILITY_VOLATILE = 2 };

typedef struct CaScalarUdf {
  uint32_t struct_size;
  const char* name;
  const char* const* aliases;
  uint64_t n_aliases;
  const char* const* parameter_names; /* may be NULL */
  uint64_t n_parameter_names;
  int32_t volatility; /* a CaVolatility */
  /* A JSON object describing the function for registry snapshots (signatures, return_type,
   * doc, config_defaults, ...; shared/CONTRACTS.md §5); may be NULL. */
  const char* descriptor_json;
  /* The result type for these argument types (n_args schemas); writes `out` (owned by the
   * host afterwards). Fails with CA_ERR_INVALID_ARGUMENT when the types are not accepted.
   * Argument schemas and arrays are moved into every call: the plugin may take them (the C
   * Data Interface's move, e.g. an Arrow import); the host releases those still unreleased
   * when the call returns. */
  int (*return_type)(const struct CaScalarUdf* self, struct ArrowSchema* const* arg_types,
                     int64_t n_args, struct ArrowSchema* out, CaPluginError* error);
  /* Computes `num_rows` results. args[i] is an array of type arg_types[i] (moved into the
   * call, as above) of length num_rows, or of length 1 for a constant argument (a literal),
   * which applies to every row. Writes `out` (length num_rows, of the type return_type gave),
   * which the host owns and releases. */
  int (*invoke)(const struct CaScalarUdf* self, struct ArrowSchema* const* arg_types,
                struct ArrowArray* const* args, int64_t n_args, int64_t num_rows,
                struct ArrowArray* out, CaPluginError* error);
  void (*release)(struct CaScalarUdf* self);
  void* private_data;
  /* ---- 1.1 ---- */
  /* May be NULL. Like return_type, for functions whose result type depends on more than the
   * argument types: constants[i] is argument i's value when it is a constant (a one-row array,
   * borrowed) or NULL, and arg_types[i] carries the metadata of argument i's field (when it is
   * a column that has any). When set, the host calls it instead of return_type, and invoke's
   * arg_types carry the same metadata. */
  int (*return_type_with_constants)(const struct CaScalarUdf* self,
                                    struct ArrowSchema* const* arg_types,
                                    struct ArrowArray* const* constants, int64_t n_args,
                                    struct ArrowSchema* out, CaPluginError* error);
} CaScalarUdf;

/* ---- aggregate functions ---- */

/* One group's (or one partial's) running state. */
typedef struct CaAccumulator {
  uint32_t struct_size;
  /* Adds rows: args[i] (length num_rows) borrowed for the call. */
  int (*update)(struct CaAccumulator* self, struct ArrowSchema* const* arg_types,
                struct ArrowArray* const* args, int64_t n_args, int64_t num_rows,
                CaPluginError* error);
  /* The state as n_state arrays of one row each (types from state_types); owned by the host
   * afterwards. */
  int (*state)(struct CaAccumulator* self, struct ArrowArray* out, int64_t n_state,
               CaPluginError* error);
  /* Merges other accumulators' states (n_state arrays of equal length, borrowed). */
  int (*merge)(struct CaAccumulator* self, struct ArrowArray* const* states, int64_t n_state,
               CaPluginError* error);
  /* The result: an array of one row of the return type; owned by the host afterwards. */
  int (*finalize)(struct CaAccumulator* self, struct ArrowArray* out, CaPluginError* error);
  void (*release)(struct CaAccumulator* self);
  void* private_data;
} CaAccumulator;

typedef struct CaAggregateUdf {
  uint32_t struct_size;
  const char* name;
  const char* const* aliases;
  uint64_t n_aliases;
  int32_t volatility; /* a CaVolatility */
  int (*return_type)(const struct CaAggregateUdf* self, struct ArrowSchema* const* arg_types,
                     int64_t n_args, struct ArrowSchema* out, CaPluginError* error);
  /* The state's types: writes *n_state schemas (at most max_state) into out, owned by the
   * host afterwards. */
  int (*state_types)(const struct CaAggregateUdf* self, struct ArrowSchema* const* arg_types,
                     int64_t n_args, struct ArrowSchema* out, int64_t max_state, int64_t* n_state,
                     CaPluginError* error);
  int (*new_accumulator)(const struct CaAggregateUdf* self,
                         struct ArrowSchema* const* arg_types, int64_t n_args,
                         CaAccumulator* out, CaPluginError* error);
  void (*release)(struct CaAggregateUdf* self);
  void* private_data;
  /* ---- 1.1 ---- */
  /* A JSON object describing the function for registry snapshots, as CaScalarUdf's; may be
   * NULL. */
  const char* descriptor_json;
} CaAggregateUdf;

/* ---- window functions ---- */

typedef struct CaWindowUdf {
  uint32_t struct_size;
  const char* name;
  const char* const* aliases;
  uint64_t n_aliases;
  int32_t volatility; /* a CaVolatility */
  int (*return_type)(const struct CaWindowUdf* self, struct ArrowSchema* const* arg_types,
                     int64_t n_args, struct ArrowSchema* out, CaPluginError* error);
  /* Evaluates one partition, sorted by the window's order: args[i] hold its num_rows rows
   * (borrowed); frame_start[r] and frame_end[r] (end exclusive) bound row r's frame. Writes
   * the result array (num_rows), owned by the host afterwards. */
  int (*evaluate_partition)(const struct CaWindowUdf* self,
                            struct ArrowSchema* const* arg_types,
                            struct ArrowArray* const* args, int64_t n_args,
                            int64_t num_rows, const int64_t* frame_start,
                            const int64_t* frame_end, struct ArrowArray* out,
                            CaPluginError* error);
  void (*release)(struct CaWindowUdf* self);
  void* private_data;
  /* ---- 1.1 ---- */
  /* A JSON object describing the function for registry snapshots, as CaScalarUdf's; may be
   * NULL. */
  const char* descriptor_json;
} CaWindowUdf;

/* ---- table providers ---- */

/* How a provider handles a filter: the host re-applies all but exact ones. */
enum CaFilterSupport { CA_FILTER_UNSUPPORTED = 0, CA_FILTER_INEXACT = 1, CA_FILTER_EXACT = 2 };

typedef struct CaTableProvider {
  uint32_t struct_size;
  /* The table's schema (owned by the host afterwards). */
  int (*schema)(const struct CaTableProvider* self, struct ArrowSchema* out, CaPluginError* error);
  /* Filters come as one Substrait ExtendedExpression (serialized bytes) whose n_filters
   * expressions are boolean predicates over the table's schema; writes n_filters
   * CaFilterSupport values. May be NULL: every filter is unsupported. */
  int (*supports_filters)(const struct CaTableProvider* self, const uint8_t* substrait,
                          int64_t substrait_size, int64_t n_filters, int32_t* support,
                          CaPluginError* error);
  /* A stream of the table's rows: `projection` (n_projection column indices; NULL for all),
   * the filters (as for supports_filters; NULL for none), `limit` (-1: none). The stream is
   * owned by the host afterwards. */
  int (*scan)(const struct CaTableProvider* self, const int32_t* projection, int64_t n_projection,
              const uint8_t* filters_substrait, int64_t filters_size, int64_t limit,
              struct ArrowArrayStream* out, CaPluginError* error);
  void (*release)(struct CaTableProvider* self);
  void* private_data;
} CaTableProvider;

/* ---- table functions ---- */

typedef struct CaTableFunction {
  uint32_t struct_size;
  const char* name;
  /* Arguments as length-1 arrays (borrowed); writes the provider, owned by the host. */
  int (*call)(const struct CaTableFunction* self, struct ArrowSchema* const* arg_types,
              struct ArrowArray* const* args, int64_t n_args, CaTableProvider* out,
              CaPluginError* error);
  void (*release)(struct CaTableFunction* self);
  void* private_data;
  /* ---- 1.1 ---- */
  /* A JSON object describing the function for registry snapshots; may be NULL. */
  const char* descriptor_json;
} CaTableFunction;

/* The functions a plugin installs: the host releases each entry it takes, then the bundle
 * (which frees the arrays themselves). */
typedef struct CaUdfBundle {
  uint32_t struct_size;
  CaScalarUdf* scalar;
  uint64_t n_scalar;
  CaAggregateUdf* aggregate;
  uint64_t n_aggregate;
  CaWindowUdf* window;
  uint64_t n_window;
  CaTableFunction* table_functions;
  uint64_t n_table_functions;
  void (*release)(struct CaUdfBundle* self);
  void* private_data;
} CaUdfBundle;

/* ---- the module ---- */

/* What a plugin offers by name: strings live as long as the library. */
typedef struct CaPluginExports {
  uint32_t struct_size;
  const char* const* table_providers;
  uint64_t n_table_providers;
  const char* const* scalar_functions;
  uint64_t n_scalar_functions;
  const char* const* aggregate_functions;
  uint64_t n_aggregate_functions;
  const char* const* window_functions;
  uint64_t n_window_functions;
  const char* const* table_functions;
  uint64_t n_table_functions;
} CaPluginExports;

typedef struct CaPluginModule {
  uint32_t struct_size;
  const CaPluginManifest* (*manifest)(void);
  const CaPluginExports* (*exports)(void);
  /* Fills `out` with the plugin's functions configured by `options_json` (CONTRACTS §4; NULL
   * or "{}" for defaults). */
  int (*udf_bundle_with_options)(const char* options_json, CaUdfBundle* out,
                                 CaPluginError* error);
  /* Creates the exported provider `name` from `options_json`. */
  int (*create_table_provider)(const char* name, const char* options_json, CaTableProvider* out,
                               CaPluginError* error);
} CaPluginModule;

/* The entry symbol's type: returns the module (static storage; never NULL for a valid plugin). */
typedef const CaPluginModule* (*CaPluginEntryFn)(void);

/* The sizes of structs that grew, as ABI 1.0 defined them: a host accepts a struct_size of at
 * least these and reads the later members only when struct_size covers them. */
#define CA_SCALAR_UDF_SIZE_1_0 offsetof(CaScalarUdf, return_type_with_constants)
#define CA_AGGREGATE_UDF_SIZE_1_0 offsetof(CaAggregateUdf, descriptor_json)
#define CA_WINDOW_UDF_SIZE_1_0 offsetof(CaWindowUdf, descriptor_json)
#define CA_TABLE_FUNCTION_SIZE_1_0 offsetof(CaTableFunction, descriptor_json)
/* True when a struct of size `struct_size` has `member` (a later minor's member). */
#define CA_HAS_MEMBER(type, struct_size, member) \
  ((struct_size) >= offsetof(type, member) + sizeof(((type*)0)->member))

#ifdef __cplusplus
}
#endif

#endif /* CODEANATOMY_PLUGIN_ABI_H */
