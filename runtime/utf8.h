// Whether bytes are well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above
// U+10FFFF). Strings that reach logs, JSON files or other processes (endpoints, names, methods) are
// checked with it where they enter from the wire, so a forged byte sequence is refused there with a
// named error instead of throwing far away (e.g. in a JSON writer).
#pragma once

#include <string_view>

namespace ist::rt {

bool is_valid_utf8(std::string_view s);

}  // namespace ist::rt
