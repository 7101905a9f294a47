#pragma once
// The soft card's changing state, shared by every process that uses the world (the module in any
// number of processes, and softcard-ctl): PIN values and retry counters, the PIN-pad answer and
// the faults to inject. One JSON file, replaced atomically (temp file + fsync + rename); every
// read-modify-write holds an flock on a lock file next to it. A card missing from the file is in
// its initial state (card.json).

#include <functional>
#include <string>

#include "ca-test/softcard/config.hpp"

namespace sithsd::softcard {

struct PinState {
    std::string pin;
    int tries_left = 3;
    int max_tries = 3;
};

// What the PIN pad's user does at the next C_Login with a NULL PIN.
enum class PinPadMode { ok, wrong, cancel };

struct CardState {
    PinState identification;
    PinState signing;
    PinState puk;
    PinPadMode pin_pad = PinPadMode::ok;
    int delay_ms = 0;   // before every C_Login, C_Sign, C_SignFinal, C_InitPIN, C_SetPIN
    int fail_next = 0;  // so many card calls answer CKR_DEVICE_ERROR
    bool remove_during_sign = false;
};

CardState initial_state(const CardConfig& card);

class StateStore {
  public:
    explicit StateStore(const WorldConfig& world);

    // The current state of a card. No lock needed: the file is only ever replaced whole.
    CardState read(const CardConfig& card) const;
    // Read-modify-write of one card's state under the lock file. The file is written only when
    // `change` returns true. Returns the state after the change.
    CardState update(const CardConfig& card, const std::function<bool(CardState&)>& change);
    // Changes "inserted" of a card in softcard.json under the same lock (removal during C_Sign).
    void set_inserted(const std::string& card_name, bool inserted);

  private:
    std::filesystem::path conf_path_;
    std::filesystem::path state_path_;
    std::filesystem::path lock_path_;
};

// Writes a file atomically: PATH.tmp.<pid>.<n>, fsync, rename over PATH, fsync of the folder.
void write_file_atomically(const std::filesystem::path& path, const std::string& content);

}  // namespace sithsd::softcard
