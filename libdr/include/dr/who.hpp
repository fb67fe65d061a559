// Who runs a command, for audit rows and leases.
#pragma once

#include <string>

namespace dr {

std::string os_user();    // $USER, else the passwd entry of the uid, else the uid
std::string host_name();  // gethostname()

}  // namespace dr
