#pragma once
// sithsd's log: on stderr with a timestamp and level, or, when stderr is systemd's journal
// stream (JOURNAL_STREAM names it), with the sd-daemon "<N>" level prefix the journal reads
// (sd-daemon(3)), so that `journalctl -p warning` filters and the journal keeps its own time.
#include <string_view>

namespace sithsd::daemon {

// Whether stderr is the journal's stream: JOURNAL_STREAM is "DEVICE:INODE" of it (systemd.exec(5)).
// journal_stream is the variable's value (empty when unset).
bool stderr_is_journal(std::string_view journal_stream);

// Makes the "sithsd" logger the default one, on stderr, in the form described above.
void setup_logging();

}  // namespace sithsd::daemon
