#pragma once
// Runs a helper program (modutil) for `sithsctl doctor` with a deadline and a bound on its output.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace sithsd::daemon::doctor {

struct ProgramOutput {
    int exit_code = -1;  // -1 when it did not exit by itself (killed at the deadline)
    std::string output;  // stdout and stderr together, at most max_output bytes
};

// nullopt when the program cannot be started (not installed). A program still running at the
// deadline is killed (it is our child) and reported with exit_code -1.
std::optional<ProgramOutput> run_program(const std::vector<std::string>& argv,
                                         std::chrono::milliseconds timeout,
                                         std::size_t max_output = 1 << 20);

}  // namespace sithsd::daemon::doctor
