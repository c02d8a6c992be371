// The text forms of the spec's Date and Timestamp parameter values (spec_internal.h).
#include <array>
#include <cctype>

#include "semantic/spec_internal.h"

namespace codeanatomy::semantic::internal {

namespace {

bool Digits(std::string_view s, size_t pos, size_t n) {
  if (pos + n > s.size()) return false;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

int Number(std::string_view s, size_t pos, size_t n) {
  int out = 0;
  for (size_t i = pos; i < pos + n; ++i) out = out * 10 + (s[i] - '0');
  return out;
}

}  // namespace

bool IsIsoDate(std::string_view s) {
  if (s.size() != 10 || !Digits(s, 0, 4) || s[4] != '-' || !Digits(s, 5, 2) || s[7] != '-' ||
      !Digits(s, 8, 2)) {
    return false;
  }
  int year = Number(s, 0, 4), month = Number(s, 5, 2), day = Number(s, 8, 2);
  static constexpr std::array<int, 12> kDays = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1 || day > kDays[month - 1]) return false;
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month != 2 || day <= 28 || leap;
}

bool IsIsoTimestamp(std::string_view s) {
  if (s.size() < 19 || !IsIsoDate(s.substr(0, 10)) || (s[10] != 'T' && s[10] != ' ') ||
      !Digits(s, 11, 2) || s[13] != ':' || !Digits(s, 14, 2) || s[16] != ':' || !Digits(s, 17, 2)) {
    return false;
  }
  if (Number(s, 11, 2) > 23 || Number(s, 14, 2) > 59 || Number(s, 17, 2) > 60) return false;
  if (s.size() == 19) return true;
  return s[19] == '.' && s.size() > 20 && Digits(s, 20, s.size() - 20);
}

}  // namespace codeanatomy::semantic::internal
