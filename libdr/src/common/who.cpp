#include "dr/who.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

namespace dr {

std::string os_user() {
  if (const char* u = std::getenv("USER"); u && *u) return u;
  if (const passwd* pw = getpwuid(getuid())) return pw->pw_name;
  return std::to_string(getuid());
}

std::string host_name() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return host;
}

}  // namespace dr
