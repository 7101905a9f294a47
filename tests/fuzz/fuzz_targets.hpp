#pragma once
// The fuzz entry points. Each is a libFuzzer target when built with SITHSD_FUZZ (clang), and the
// same function replays the corpus in the ordinary GoogleTest suite (fuzz_replay_test.cpp).

#include <cstddef>
#include <cstdint>

namespace sithsd::fuzz {

int request(const std::uint8_t* data, std::size_t size);   // JSON-RPC message + every params parser
int token(const std::uint8_t* data, std::size_t size);     // token verification (no OCSP)
int identity(const std::uint8_t* data, std::size_t size);  // certificate subject parsing
int origin(const std::uint8_t* data, std::size_t size);    // Origin headers and allow-list entries

}  // namespace sithsd::fuzz

// In a libFuzzer build each target's file also defines LLVMFuzzerTestOneInput.
#ifdef SITHSD_LIBFUZZER
#define SITHSD_FUZZ_ENTRY(fn)                                                           \
    extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) { \
        return sithsd::fuzz::fn(data, size);                                            \
    }
#else
#define SITHSD_FUZZ_ENTRY(fn)
#endif
