// UTF-8 repair for text that must be valid UTF-8 (JSON, protobuf strings) but comes from
// bytes nobody checked: container logs, names a caller sent.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace gantry {

// The length of `bytes` without a UTF-8 sequence cut short at its end (a lead byte and
// fewer continuation bytes than it announces); all of it otherwise.
size_t CompleteUtf8Prefix(std::string_view bytes);

// `bytes` with each byte that is not part of a valid UTF-8 sequence replaced by U+FFFD.
std::string ToValidUtf8(std::string_view bytes);

}  // namespace gantry
