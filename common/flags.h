// Lets Abseil flags be spelled with dashes on the command line (--data-dir) as well as
// underscores (--data_dir): Abseil only knows the underscore names.
#pragma once

#include <string>
#include <vector>

namespace gantry::flags {

// Returns argv with the name part of every "--flag-name[=value]" argument (before any
// '=') rewritten with underscores. Arguments after a bare "--" are left alone.
std::vector<std::string> NormalizeDashes(int argc, char** argv);

}  // namespace gantry::flags
