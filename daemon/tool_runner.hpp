#pragma once
// Runs a helper program (NSS's modutil and certutil for `sithsctl browsers`) with a deadline and
// collects what it printed: stdin is /dev/null, so a tool that asks a question gets end-of-file.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace sithsd::daemon {

struct ToolResult {
    int exit_code = -1;  // -1: killed at the deadline or by a signal
    std::string output;  // stdout and stderr together, at most 64 KiB
};

// argv[0] is looked up in PATH. Throws std::runtime_error when the program cannot be started.
ToolResult run_tool(const std::vector<std::string>& argv, std::chrono::milliseconds deadline);

// The program's full path when PATH has it.
std::optional<std::filesystem::path> find_in_path(const std::string& name);

}  // namespace sithsd::daemon
