// Prints protocol/wire_errors.hpp as JSON, for check_wire_errors.py, which compares every other
// listing of the wire errors in the tree (TypeScript, JavaScript, Python, C, the docs) with it.
#include <cstdio>

#include "protocol/wire_errors.hpp"

int main() {
    using namespace sithsd::protocol;
    std::printf("{\"errors\":[");
    const char* comma = "";
    for (const auto& row : kWireErrors) {
        std::printf("%s{\"code\":%d,\"reason\":\"%.*s\",\"retryable\":%s,\"message\":\"%.*s\"}",
                    comma, static_cast<int>(row.code), static_cast<int>(row.reason.size()),
                    row.reason.data(), row.retryable ? "true" : "false",
                    static_cast<int>(row.message.size()), row.message.data());
        comma = ",";
    }
    std::printf("],\"host\":[");
    comma = "";
    for (const auto& row : kHostErrors) {
        std::printf("%s{\"code\":%lld,\"reason\":\"%.*s\",\"retryable\":%s}", comma,
                    static_cast<long long>(row.code), static_cast<int>(row.reason.size()),
                    row.reason.data(), row.retryable ? "true" : "false");
        comma = ",";
    }
    std::printf("]}\n");
}
