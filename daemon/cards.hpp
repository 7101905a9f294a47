#pragma once
// The card layer as the daemon's handlers see it (CardService is the real one; tests use fakes).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/vocabulary.hpp"
#include "pkcs11/card_model.hpp"
#include "pkcs11/card_set.hpp"
#include "pkcs11/secret.hpp"

namespace sithsd::daemon {

// Whom a login kept by the identification PIN cache serves (PROTOCOL.md "The identification PIN
// cache"): `scope` tells requesters apart ("origin https://…", "browser /usr/lib/…", "program
// /usr/bin/…"), `name` is how a prompt names it.
struct LoginHolder {
    std::string scope;
    std::string name;
};

// The cards as handlers see them. Everything but cards() and submit() is card work: it runs inside
// a job given to submit(), on that card's queue, and throws pkcs11::CardError.
class Cards {
  public:
    virtual ~Cards() = default;
    // The snapshot after the last card event.
    virtual std::vector<pkcs11::CardInfo> cards() const = 0;
    // Queues card work; false when that card's queue is full (BUSY).
    virtual bool submit(const std::string& card_id, std::function<void()> job) = 0;
    // Reads the cards again soon (after an operation found the card gone, or a PIN changed).
    virtual void request_refresh() = 0;

    virtual pkcs11::PinInfo pin_info(const std::string& card_id, PinKind kind) = 0;
    // After a login attempt: reads the PIN's state from the card and puts it into the snapshot at
    // once, so that listCards and cardsChanged never show a stale one.
    virtual pkcs11::PinInfo reread_pin(const std::string& card_id, PinKind kind) = 0;
    // A fresh login with `pin` (any login kept on the card ends first). keep_for: the
    // identification PIN cache; the card stays logged in for the configured time, for that
    // requester alone.
    virtual std::vector<std::uint8_t> sign(const pkcs11::SignatureRequest& request,
                                           const pkcs11::Secret& pin,
                                           const std::optional<LoginHolder>& keep_for) = 0;
    // A signature with a login kept for the requester `scope` (by sign, or shared with it);
    // nullopt when there is none for it.
    virtual std::optional<std::vector<std::uint8_t>> sign_with_kept_login(
        const pkcs11::SignatureRequest& request, const std::string& scope) = 0;
    // Whom the card's kept login serves, the one who typed the PIN first; empty when none is kept.
    virtual std::vector<LoginHolder> kept_login_holders(const std::string& card_id) const = 0;
    // The person let another requester use the card's kept login (until it ends as it would).
    virtual void share_kept_login(const std::string& card_id, const LoginHolder& holder) = 0;
    virtual void change_pin(const std::string& card_id, PinKind kind, const pkcs11::Secret& old_pin,
                            const pkcs11::Secret& new_pin) = 0;
    virtual void unblock_pin(const std::string& card_id, PinKind kind, const pkcs11::Secret& puk,
                             const pkcs11::Secret& new_pin) = 0;
};

}  // namespace sithsd::daemon
