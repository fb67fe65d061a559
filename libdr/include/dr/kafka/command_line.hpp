// Command lines as they may be recorded (audit rows) or logged: every secret masked.
#pragma once

#include <string>
#include <vector>

namespace dr::kafka {

// argv with the value of every secret key (is_secret_key) replaced by mask_secret's "********",
// in each way a tool takes one: "-X" "key=value" (two entries), "-Xkey=value", "--key=value",
// "--key" "value", and a bare "key=value". Keys may carry a prefix (-X source.sasl.password=...).
std::vector<std::string> mask_arguments(const std::vector<std::string>& argv);

// mask_arguments joined by spaces for people, entries with spaces or quotes single-quoted.
std::string masked_command_line(const std::vector<std::string>& argv);

}  // namespace dr::kafka
