#pragma once
// sign's displayText: what the PIN prompt shows is what is signed. So it may hold no character
// that hides, moves or reorders text on the screen (control characters other than the line break,
// bidirectional overrides and isolates), and it must reach a GnuPG pinentry whole: libassuan takes
// lines of at most 1000 bytes, the description is sent as one SETDESC line with %, CR and LF
// escaped to three bytes, and the rest of the description (who asks, whose certificate, which PIN)
// needs its share of the line.
#include <optional>
#include <string>
#include <string_view>

namespace sithsd::protocol {

// The most a displayText may take in the prompt's line: UTF-8 bytes, a line break or % counting 3.
inline constexpr std::size_t kMaxDisplayTextPromptBytes = 500;

// Its size in the prompt's line (as above).
std::size_t prompt_bytes(std::string_view text) noexcept;

// Why the text cannot be shown as it is signed (the wire message), or nothing when it can.
std::optional<std::string> display_text_problem(std::string_view text);

}  // namespace sithsd::protocol
