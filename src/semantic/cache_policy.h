// The spec's `cache_policy` block: which views are computed once per run and kept in memory
// (engine/cached_view.h) instead of being recomputed by every output that reads them.
//
//   {"views": ["name", ...], "min_fanout": 2}
//
// `views` names views to cache; `min_fanout` (>= 2; absent: off) adds every view that at least
// that many output targets read (directly or through other views), unless a view reading it
// serves exactly the same outputs (then that one is cached instead: the last shared step).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "semantic/spec.h"

namespace codeanatomy::semantic {

struct CachePolicy {
  std::vector<std::string> views;
  int64_t min_fanout = 0;  ///< 0: off
};

/// The policy of `spec` (empty when absent). Unknown fields, wrong types and names that are not
/// views are INVALID_SPEC_JSON with the path ($.cache_policy.views[1], ...).
Result<CachePolicy> ParseCachePolicy(const SemanticSpec& spec);

/// The views the policy caches.
std::set<std::string> CachedViews(const SemanticSpec& spec, const CachePolicy& policy);

}  // namespace codeanatomy::semantic
