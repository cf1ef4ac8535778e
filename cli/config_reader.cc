#include "cli/config_reader.h"

#include <cmath>
#include <cstdio>

namespace ist::cli {

namespace {

std::string number_text(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char text[32];
  std::snprintf(text, sizeof(text), "%.9g", v);
  return text;
}

std::string range_text(const NumberRange& r) {
  // Ends at a float's limits or beyond are no bounds a user thinks of; they are named as such.
  const bool no_lo = r.lo <= -static_cast<double>(std::numeric_limits<float>::max());
  const bool no_hi = r.hi >= static_cast<double>(std::numeric_limits<float>::max());
  if (no_lo && no_hi) return "must be within the range of a 32-bit float";
  if (no_hi && !no_lo) return (r.lo_open ? "must be above " : "must be at least ") + number_text(r.lo);
  if (no_lo && !no_hi) return (r.hi_open ? "must be below " : "must be at most ") + number_text(r.hi);
  return std::string("must be in ") + (r.lo_open ? "(" : "[") + number_text(r.lo) + ", " + number_text(r.hi) +
         (r.hi_open ? ")" : "]");
}

}  // namespace

Status Origin::error(const std::string& problem) const {
  return Status::invalid_argument(where + ": key '" + key + "': " + problem);
}

std::string line_of(const toml::node& node, const std::string& origin) {
  const auto& source = node.source();
  if (source.begin.line == 0) return origin;
  return origin + ":" + std::to_string(source.begin.line);
}

Result<std::int64_t> read_integer(const toml::node& node, const Origin& origin, std::int64_t lo,
                                  std::int64_t hi) {
  if (!node.is_integer()) return origin.error("expected an integer");
  const std::int64_t v = node.as_integer()->get();
  if (v >= lo && v <= hi) return v;
  if (hi == std::numeric_limits<std::int64_t>::max()) {
    return origin.error("must be at least " + std::to_string(lo) + ", got " + std::to_string(v));
  }
  return origin.error("must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got " +
                      std::to_string(v));
}

Result<double> read_number(const toml::node& node, const Origin& origin, const NumberRange& range,
                           bool as_float) {
  double v = 0.0;
  if (node.is_floating_point()) {
    v = node.as_floating_point()->get();
  } else if (node.is_integer()) {
    v = static_cast<double>(node.as_integer()->get());
  } else {
    return origin.error("expected a number");
  }
  if (!std::isfinite(v)) return origin.error("must be a finite number, got " + number_text(v));
  if (!range.contains(v)) return origin.error(range_text(range) + ", got " + number_text(v));
  if (as_float) {
    const double rounded = static_cast<double>(static_cast<float>(v));
    if (!std::isfinite(rounded) || !range.contains(rounded)) {
      return origin.error(range_text(range) + " as a 32-bit float, got " + number_text(v) + " (as a float " +
                          number_text(rounded) + ")");
    }
  }
  return v;
}

Result<std::string> read_string(const toml::node& node, const Origin& origin) {
  if (!node.is_string()) return origin.error("expected a string");
  return node.as_string()->get();
}

Result<bool> read_bool(const toml::node& node, const Origin& origin) {
  if (!node.is_boolean()) return origin.error("expected true or false");
  return node.as_boolean()->get();
}

}  // namespace ist::cli
