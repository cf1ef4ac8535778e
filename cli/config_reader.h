// Reading one config value from a TOML node, checked before it is stored: the type, finiteness, and the
// key's range, all on the 64-bit value TOML holds, before it is narrowed to the field's type. So
// `workers = 4294967297` is an error, not 1 worker. Every error names where the value came from and the
// key: "exp.toml:12: key 'cluster.workers': must be between 1 and 2147483647, got 4294967297" (or
// "--set: key ...").
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <limits>
#include <string>

#include "base/status.h"

namespace ist::cli {

// Where a value came from, for error messages: "exp.toml:12" (or "exp.toml" when the line is unknown, or
// "--set") and the dotted key.
struct Origin {
  std::string where;
  std::string key;
  // invalid_argument "WHERE: key 'KEY': PROBLEM".
  Status error(const std::string& problem) const;
};

// "origin:LINE" of a node parsed from a file, or origin when the node has no position.
std::string line_of(const toml::node& node, const std::string& origin);

// An integer in [lo, hi]. Errors: "expected an integer", "must be between LO and HI, got V" (or "must be
// at least LO" when hi is the type's maximum).
Result<std::int64_t> read_integer(const toml::node& node, const Origin& origin, std::int64_t lo,
                                  std::int64_t hi = std::numeric_limits<std::int64_t>::max());

// A number's allowed values: [lo, hi], with either end open.
struct NumberRange {
  double lo = -std::numeric_limits<double>::max();
  double hi = std::numeric_limits<double>::max();
  bool lo_open = false;
  bool hi_open = false;
  bool contains(double v) const { return (lo_open ? v > lo : v >= lo) && (hi_open ? v < hi : v <= hi); }
};

// A finite number (an integer is taken as one) inside `range`; with as_float, also after rounding to a
// 32-bit float (1e-50 would become 0, 1e39 infinity). Errors: "expected a number", "must be a finite
// number, got nan", "must be in (0, 1], got 2".
Result<double> read_number(const toml::node& node, const Origin& origin, const NumberRange& range,
                           bool as_float = false);

Result<std::string> read_string(const toml::node& node, const Origin& origin);
Result<bool> read_bool(const toml::node& node, const Origin& origin);

}  // namespace ist::cli
