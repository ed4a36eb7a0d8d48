// libpq connection strings: adding settings without overriding the operator's.
// Storage-internal.
#pragma once

#include <string>

namespace gantry::storage::internal {

// `conninfo` (key=value or postgresql:// URI form) with TCP keepalives and a TCP user
// timeout, for a connection that stays idle for long (the command listener): a peer
// that vanished is noticed within about half a minute instead of the kernel's
// default of hours. Settings the string already has are kept; settings this libpq does
// not know are not added. Returns `conninfo` unchanged when libpq cannot parse it (the
// connection attempt will say why) or when the result would not mean the same
// otherwise. Unix-socket connections ignore these settings.
std::string WithKeepalives(const std::string& conninfo);

}  // namespace gantry::storage::internal
