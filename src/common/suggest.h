// "Did you mean" support for errors that name an unknown identifier.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace codeanatomy {

/// Levenshtein edit distance, case-insensitive.
size_t EditDistance(std::string_view a, std::string_view b);

/// Up to `limit` candidates closest to `name`, nearest first, only those near enough to be
/// plausible typos (distance ≤ max(2, |name| / 3)) or containing `name` as a prefix.
std::vector<std::string> ClosestNames(std::string_view name,
                                      const std::vector<std::string>& candidates, size_t limit);

/// "; did you mean 'a' or 'b'?" or the empty string.
std::string SuggestionText(const std::vector<std::string>& names);

/// A JSON array of strings.
std::string JsonStringArray(const std::vector<std::string>& names);

}  // namespace codeanatomy
