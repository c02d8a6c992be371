#include "sql/sql_types.h"

#include <algorithm>
#include <cctype>
#include <map>

#include <arrow/compute/api_scalar.h>
#include <arrow/compute/cast.h>
#include <arrow/util/decimal.h>
#include <arrow/util/string.h>

namespace codeanatomy::sql {

using arrow::internal::AsciiToLower;

namespace {

Status TypeError(std::string code, std::string message, std::string details = "") {
  return InvalidError(stage::kSql, code, std::move(message), std::move(details));
}

// PostgreSQL's interval field bits (INTERVAL_MASK in datetime.h).
constexpr int64_t kMonthBit = 1 << 1, kYearBit = 1 << 2, kDayBit = 1 << 3, kHourBit = 1 << 10,
                  kMinuteBit = 1 << 11, kSecondBit = 1 << 12;

// Days since 1970-01-01 of a civil date, and back (Howard Hinnant's algorithms).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  *y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp + (mp < 10 ? 3 : -9);
  *y += *m <= 2;
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned DaysInMonth(int64_t y, unsigned m) {
  static const unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Adds months to a day number, clamping the day of month (2020-01-31 + 1 month = 2020-02-29).
int64_t AddMonths(int64_t days, int64_t months) {
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  int64_t total = y * 12 + (m - 1) + months;
  int64_t ny = total >= 0 ? total / 12 : (total - 11) / 12;
  unsigned nm = static_cast<unsigned>(total - ny * 12) + 1;
  return DaysFromCivil(ny, nm, std::min(d, DaysInMonth(ny, nm)));
}

// Parses interval text: "90" under a single-field typmod, or "<n> <unit> [<n> <unit> ...]".
Result<arrow::MonthDayNanoIntervalType::MonthDayNanos> ParseInterval(const std::string& text,
                                                                     int64_t typmod) {
  arrow::MonthDayNanoIntervalType::MonthDayNanos out{0, 0, 0};
  auto add = [&](double n, const std::string& unit) -> Status {
    std::string u = AsciiToLower(unit);
    if (!u.empty() && u.back() == 's' && u != "s" && u != "ms" && u != "us") u.pop_back();
    if (u == "year" || u == "y") {
      out.months += static_cast<int32_t>(n * 12);
    } else if (u == "month" || u == "mon") {
      out.months += static_cast<int32_t>(n);
    } else if (u == "week" || u == "w") {
      out.days += static_cast<int32_t>(n * 7);
    } else if (u == "day" || u == "d") {
      out.days += static_cast<int32_t>(n);
    } else if (u == "hour" || u == "h") {
      out.nanoseconds += static_cast<int64_t>(n * 3600e9);
    } else if (u == "minute" || u == "min" || u == "m") {
      out.nanoseconds += static_cast<int64_t>(n * 60e9);
    } else if (u == "second" || u == "sec" || u == "s") {
      out.nanoseconds += static_cast<int64_t>(n * 1e9);
    } else if (u == "millisecond" || u == "ms") {
      out.nanoseconds += static_cast<int64_t>(n * 1e6);
    } else if (u == "microsecond" || u == "us") {
      out.nanoseconds += static_cast<int64_t>(n * 1e3);
    } else {
      return TypeError("INVALID_INTERVAL", "invalid interval unit '" + unit + "' in '" + text + "'",
                       "{\"value\":" + JsonQuote(text) + "}");
    }
    return Status::OK();
  };
  std::vector<std::string> tokens;
  std::string cur;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (!cur.empty()) tokens.push_back(cur), cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) tokens.push_back(cur);
  if (tokens.size() == 1) {
    std::string unit = "second";
    if (typmod & kYearBit)
      unit = "year";
    else if (typmod & kMonthBit)
      unit = "month";
    else if (typmod & kDayBit)
      unit = "day";
    else if (typmod & kHourBit)
      unit = "hour";
    else if (typmod & kMinuteBit)
      unit = "minute";
    else if (typmod & kSecondBit)
      unit = "second";
    // "3 days" written as one token is not valid; a bare number takes the typmod's unit.
    char* end = nullptr;
    double n = std::strtod(tokens[0].c_str(), &end);
    if (end == tokens[0].c_str() || *end != '\0') {
      return TypeError("INVALID_INTERVAL", "invalid interval '" + text + "'",
                       "{\"value\":" + JsonQuote(text) + "}");
    }
    CA_RETURN_NOT_OK(add(n, unit));
    return out;
  }
  if (tokens.empty() || tokens.size() % 2 != 0) {
    return TypeError("INVALID_INTERVAL", "invalid interval '" + text + "'",
                     "{\"value\":" + JsonQuote(text) + "}");
  }
  for (size_t i = 0; i < tokens.size(); i += 2) {
    char* end = nullptr;
    double n = std::strtod(tokens[i].c_str(), &end);
    if (end == tokens[i].c_str() || *end != '\0') {
      return TypeError("INVALID_INTERVAL", "invalid interval '" + text + "'",
                       "{\"value\":" + JsonQuote(text) + "}");
    }
    CA_RETURN_NOT_OK(add(n, tokens[i + 1]));
  }
  return out;
}

}  // namespace

Result<std::shared_ptr<arrow::DataType>> SqlTypeFromName(const std::string& raw,
                                                         const std::vector<int64_t>& typmods) {
  std::string name = AsciiToLower(raw);
  static const std::map<std::string, std::shared_ptr<arrow::DataType>> kTypes = {
      {"int2", arrow::int16()},
      {"smallint", arrow::int16()},
      {"int4", arrow::int32()},
      {"int", arrow::int32()},
      {"integer", arrow::int32()},
      {"int8", arrow::int64()},
      {"bigint", arrow::int64()},
      {"float4", arrow::float32()},
      {"real", arrow::float32()},
      {"float8", arrow::float64()},
      {"double", arrow::float64()},
      {"float", arrow::float64()},
      {"bool", arrow::boolean()},
      {"boolean", arrow::boolean()},
      {"text", arrow::utf8()},
      {"varchar", arrow::utf8()},
      {"bpchar", arrow::utf8()},
      {"char", arrow::utf8()},
      {"string", arrow::utf8()},
      {"bytea", arrow::binary()},
      {"blob", arrow::binary()},
      {"date", arrow::date32()},
      {"time", arrow::time64(arrow::TimeUnit::MICRO)},
      {"timestamp", arrow::timestamp(arrow::TimeUnit::MICRO)},
      {"timestamptz", arrow::timestamp(arrow::TimeUnit::MICRO, "UTC")},
      {"interval", arrow::month_day_nano_interval()},
      {"tinyint", arrow::int8()},
      {"hugeint", arrow::decimal128(38, 0)}};
  if (name == "numeric" || name == "decimal") {
    int32_t precision = typmods.size() >= 1 ? static_cast<int32_t>(typmods[0]) : 18;
    int32_t scale =
        typmods.size() >= 2 ? static_cast<int32_t>(typmods[1]) : (typmods.empty() ? 3 : 0);
    if (precision < 1 || precision > 38 || scale < 0 || scale > precision) {
      return TypeError("INVALID_TYPE", "invalid NUMERIC(" + std::to_string(precision) + ", " +
                                           std::to_string(scale) +
                                           "): precision must be 1..38 "
                                           "and scale 0..precision");
    }
    return arrow::decimal128(precision, scale);
  }
  if (auto it = kTypes.find(name); it != kTypes.end()) return it->second;
  return TypeError("UNKNOWN_TYPE", "type \"" + raw + "\" does not exist");
}

std::string SqlTypeName(const arrow::DataType& type) {
  switch (type.id()) {
    case arrow::Type::INT8:
      return "TINYINT";
    case arrow::Type::INT16:
      return "SMALLINT";
    case arrow::Type::INT32:
      return "INTEGER";
    case arrow::Type::INT64:
      return "BIGINT";
    case arrow::Type::UINT8:
      return "UTINYINT";
    case arrow::Type::UINT16:
      return "USMALLINT";
    case arrow::Type::UINT32:
      return "UINTEGER";
    case arrow::Type::UINT64:
      return "UBIGINT";
    case arrow::Type::FLOAT:
      return "REAL";
    case arrow::Type::DOUBLE:
      return "DOUBLE";
    case arrow::Type::BOOL:
      return "BOOLEAN";
    case arrow::Type::STRING:
    case arrow::Type::LARGE_STRING:
      return "VARCHAR";
    case arrow::Type::BINARY:
    case arrow::Type::LARGE_BINARY:
      return "BLOB";
    case arrow::Type::DATE32:
      return "DATE";
    case arrow::Type::TIMESTAMP:
      return "TIMESTAMP";
    case arrow::Type::DECIMAL128: {
      const auto& d = static_cast<const arrow::Decimal128Type&>(type);
      return "DECIMAL(" + std::to_string(d.precision()) + "," + std::to_string(d.scale()) + ")";
    }
    default:
      return type.ToString();
  }
}

Result<std::shared_ptr<arrow::Scalar>> NumericLiteral(const std::string& text) {
  bool digits_only = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) || c == '-';
  });
  if (digits_only) {
    errno = 0;
    char* end = nullptr;
    long long v = std::strtoll(text.c_str(), &end, 10);
    if (errno == 0 && *end == '\0') return arrow::MakeScalar(static_cast<int64_t>(v));
  }
  if (text.find_first_of("eE") == std::string::npos) {
    int32_t precision = 0, scale = 0;
    arrow::Decimal128 value;
    if (arrow::Decimal128::FromString(text, &value, &precision, &scale).ok() && precision <= 38) {
      precision = std::max(precision, scale);
      return std::make_shared<arrow::Decimal128Scalar>(value, arrow::decimal128(precision, scale));
    }
  }
  char* end = nullptr;
  double d = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0') {
    return TypeError("INVALID_NUMBER", "invalid numeric constant '" + text + "'");
  }
  return arrow::MakeScalar(d);
}

Result<engine::ExprPtr> CastLiteral(const engine::ExprPtr& literal,
                                    const std::shared_ptr<arrow::DataType>& type) {
  const auto& scalar = literal->literal;
  if (type->id() == arrow::Type::INTERVAL_MONTH_DAY_NANO) {
    if (scalar->type->id() != arrow::Type::STRING) {
      return TypeError("INVALID_INTERVAL", "an interval constant must be a string");
    }
    return IntervalLiteral(static_cast<const arrow::StringScalar&>(*scalar).ToString(), 0);
  }
  if (type->id() == arrow::Type::BOOL && scalar->type->id() == arrow::Type::STRING) {
    // PostgreSQL's boolean input: t/f, true/false, yes/no, on/off, 1/0 (any case).
    std::string v = AsciiToLower(static_cast<const arrow::StringScalar&>(*scalar).ToString());
    v.erase(0, v.find_first_not_of(' '));
    v.erase(v.find_last_not_of(' ') + 1);
    static const std::map<std::string, bool> kBools = {
        {"t", true},  {"true", true},   {"y", true},  {"yes", true}, {"on", true},   {"1", true},
        {"f", false}, {"false", false}, {"n", false}, {"no", false}, {"off", false}, {"0", false}};
    if (auto it = kBools.find(v); it != kBools.end()) {
      return engine::Literal(arrow::MakeScalar(it->second));
    }
  }
  auto cast = arrow::compute::Cast(scalar, type);
  if (!cast.ok()) {
    std::string text = scalar->ToString();
    return TypeError(
        "INVALID_LITERAL",
        "invalid input syntax for type " + SqlTypeName(*type) + ": \"" + text + "\"",
        "{\"value\":" + JsonQuote(text) + ",\"type\":" + JsonQuote(type->ToString()) + "}");
  }
  return engine::Literal(cast->scalar());
}

Result<engine::ExprPtr> IntervalLiteral(const std::string& text, int64_t typmod) {
  CA_ASSIGN_OR_RAISE(auto value, ParseInterval(text, typmod));
  return engine::Literal(std::make_shared<arrow::MonthDayNanoIntervalScalar>(value));
}

Result<engine::ExprPtr> FoldDateArithmetic(const std::string& op, const engine::ExprPtr& l,
                                           const engine::ExprPtr& r) {
  using engine::ExprKind;
  auto is_lit = [](const engine::ExprPtr& e, arrow::Type::type id) {
    return e->kind == ExprKind::kLiteral && e->literal && e->literal->is_valid &&
           e->literal->type->id() == id;
  };
  const engine::ExprPtr* date = nullptr;
  const engine::ExprPtr* interval = nullptr;
  if (is_lit(l, arrow::Type::DATE32) && is_lit(r, arrow::Type::INTERVAL_MONTH_DAY_NANO)) {
    date = &l, interval = &r;
  } else if (op == "+" && is_lit(r, arrow::Type::DATE32) &&
             is_lit(l, arrow::Type::INTERVAL_MONTH_DAY_NANO)) {
    date = &r, interval = &l;
  } else {
    return engine::ExprPtr();
  }
  int64_t days = static_cast<const arrow::Date32Scalar&>(*(*date)->literal).value;
  auto iv = static_cast<const arrow::MonthDayNanoIntervalScalar&>(*(*interval)->literal).value;
  int sign = op == "-" ? -1 : 1;
  if (iv.nanoseconds != 0) {
    return TypeError("NOT_SUPPORTED", "not supported: date arithmetic with sub-day intervals");
  }
  days = AddMonths(days, sign * static_cast<int64_t>(iv.months)) + sign * iv.days;
  // date ± interval is a timestamp, as in PostgreSQL.
  return engine::Literal(std::make_shared<arrow::TimestampScalar>(
      days * 86400LL * 1000000LL, arrow::timestamp(arrow::TimeUnit::MICRO)));
}

Result<std::string> ExtractFunction(const std::string& field) {
  static const std::map<std::string, std::string> kFields = {{"year", "year"},
                                                             {"month", "month"},
                                                             {"day", "day"},
                                                             {"hour", "hour"},
                                                             {"minute", "minute"},
                                                             {"second", "second"},
                                                             {"quarter", "quarter"},
                                                             {"week", "iso_week"},
                                                             {"dow", "day_of_week"},
                                                             {"doy", "day_of_year"},
                                                             {"isoyear", "iso_year"},
                                                             {"millisecond", "millisecond"},
                                                             {"microsecond", "microsecond"}};
  if (auto it = kFields.find(field); it != kFields.end()) return it->second;
  return TypeError("NOT_SUPPORTED", "not supported: EXTRACT field '" + field + "'");
}

}  // namespace codeanatomy::sql
