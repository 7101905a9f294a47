#pragma once
// The cards behind one or more PKCS#11 modules: slots grouped into cards, certificates into
// identities, and the two PINs kept apart for login and signature. Operations on one card are
// serialized; different cards work in parallel; refresh() is safe while another card signs.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "pkcs11/card_model.hpp"
#include "pkcs11/module.hpp"
#include "pkcs11/secret.hpp"
#include "pkcs11/signature.hpp"

namespace sithsd::pkcs11 {

struct CardState;   // card_set.cpp
struct CardLayout;  // card_set.cpp

class CardSet {
  public:
    explicit CardSet(std::vector<std::shared_ptr<Module>> modules);
    ~CardSet();
    CardSet(const CardSet&) = delete;
    CardSet& operator=(const CardSet&) = delete;

    // Reads slots, tokens and certificates again. Cards that went away lose their sessions and
    // cached logins. Returns true when the set of cards or their PIN states changed.
    bool refresh();
    std::vector<CardInfo> cards() const;
    std::optional<CardCertificate> certificate(const std::string& certificate_id) const;

    // The PIN state read from the token now (done again before every login by sign()).
    PinInfo pin_info(const std::string& card_id, PinKind kind);

    // Signs req.digest with the key of req.certificate_id: logs in to the slot that holds the
    // certificate's PIN (identification or signing, by key usage) with `pin`, does the
    // context-specific login when the key has CKA_ALWAYS_AUTHENTICATE, signs, and logs out.
    // An empty pin on a PIN-pad reader logs in through the reader. Never logs in on a locked PIN.
    // keep_logged_in (identification only) keeps the slot logged in for sign_with_cached_login().
    std::vector<std::uint8_t> sign(const SignatureRequest& req, const Secret& pin,
                                   bool keep_logged_in = false);
    // Signs with a login kept by sign(…, keep_logged_in); nullopt when there is none.
    std::optional<std::vector<std::uint8_t>> sign_with_cached_login(const SignatureRequest& req);
    // Drops a kept login (C_Logout, session closed).
    void forget_login(const std::string& card_id);

    // C_SetPIN on the slot of that PIN; C_Login(CKU_SO, puk) + C_InitPIN to unblock.
    void change_pin(const std::string& card_id, PinKind kind, const Secret& old_pin,
                    const Secret& new_pin);
    void unblock_pin(const std::string& card_id, PinKind kind, const Secret& puk,
                     const Secret& new_pin);

    const std::vector<std::shared_ptr<Module>>& modules() const { return modules_; }

  private:
    using Found = std::pair<std::shared_ptr<CardState>, std::shared_ptr<const CardLayout>>;
    Found card(const std::string& card_id) const;
    Found card_of_certificate(const std::string& certificate_id) const;

    std::vector<std::shared_ptr<Module>> modules_;
    mutable std::mutex mutex_;  // guards cards_ (the map), never held during a card operation
    std::map<std::string, std::shared_ptr<CardState>> cards_;
};

}  // namespace sithsd::pkcs11
