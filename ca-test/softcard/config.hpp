#pragma once
// What make-world wrote: softcard.json (which cards exist and which are inserted) and each card's
// card.json (holder, serial, PINs, objects). Read-only descriptions; the changing parts (PIN
// counters, faults) live in the state file (state_store.hpp).

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace sithsd::softcard {

struct PinConfig {
    std::string pin;
    int tries_left = 3;
    int max_tries = 3;
};

enum class SlotKind { identification, signing };

struct ObjectConfig {
    SlotKind slot = SlotKind::identification;
    std::vector<std::uint8_t> id;  // CKA_ID
    std::string label;
    std::filesystem::path key;          // PEM (PKCS#8); empty for a CA certificate kept on the card
    std::filesystem::path certificate;  // PEM
};

struct CardConfig {
    std::string name;
    std::string holder;
    std::string serial;
    bool pin_pad = false;
    PinConfig identification;
    PinConfig signing;
    std::string puk;
    std::vector<ObjectConfig> objects;
};

// One entry of softcard.json's "cards".
struct CardEntry {
    std::string name;
    std::filesystem::path dir;  // absolute
    bool inserted = false;
    // Incremented by softcard-ctl on every insert, so that a remove + insert between two calls is
    // still seen as a new card (sessions of the old insertion die).
    std::uint64_t insertions = 0;
};

struct WorldConfig {
    std::filesystem::path conf_path;   // softcard.json
    std::filesystem::path state_path;  // softcard-state.json (absolute)
    std::filesystem::path lock_path;   // state_path + ".lock"
    std::vector<CardEntry> cards;
};

// Throws std::runtime_error (naming the file, never its secrets) on unreadable or invalid input.
WorldConfig read_world(const std::filesystem::path& conf_path);
CardConfig read_card(const std::filesystem::path& card_dir);

std::vector<std::uint8_t> hex_decode(const std::string& hex);

}  // namespace sithsd::softcard
