#include "daemon/origin_gate.hpp"

#include <spdlog/spdlog.h>

#include "daemon/methods/errors.hpp"
#include "daemon/prompt_texts.hpp"

namespace sithsd::daemon {

using protocol::ErrorCode;
using protocol::ProtocolError;

bool OriginGate::allowed(const Peer& peer) const {
    if (!browser_vouched(peer.authority)) return true;  // same uid, checked by the transport
    if (!peer.origin) return false;
    switch (peer.origin_status) {
        case OriginStatus::allowed:
            return true;
        case OriginStatus::denied:
            return false;
        case OriginStatus::unknown:
            break;
    }
    return prompt_unknown_ && consent_.decision(peer.origin->serialize()).value_or(false);
}

bool OriginGate::may_ask(const Peer& peer) const {
    return browser_vouched(peer.authority) && peer.origin &&
           peer.origin_status == OriginStatus::unknown && prompt_unknown_ &&
           !consent_.decision(peer.origin->serialize()).has_value();
}

void OriginGate::ask(const std::shared_ptr<PendingRequest>& pending, std::function<void()> then) {
    auto job = [this, pending, then = std::move(then)] {
        const std::string origin = pending->peer().origin_text();
        // Another request may have asked while this one waited.
        std::optional<bool> decision = consent_.decision(origin);
        if (!decision && !pending->answered()) decision = question(*pending, origin);
        pending->release();
        if (pending->answered() || !decision) return;  // cancelled, gone, or failed: answered
        if (!*decision)
            pending->answer_error(
                ProtocolError(ErrorCode::OriginDenied, "The person denied this origin."));
        else
            then();
    };
    std::lock_guard lock(mutex_);
    if (!questions_ || !questions_->post(std::move(job)))
        pending->answer_error(
            ProtocolError(questions_ ? ErrorCode::Busy : ErrorCode::ShuttingDown));
}

void OriginGate::stop() {
    std::unique_ptr<SerialQueue> questions;
    {
        std::lock_guard lock(mutex_);
        questions.swap(questions_);
    }
    questions.reset();  // joins after the queued jobs ran
}

std::optional<bool> OriginGate::question(PendingRequest& pending, const std::string& origin) {
    const auto outcome =
        prompts_.confirm(consent_prompt(language_, origin), pending.cancel_token());
    if (outcome != PromptOutcome::ok && outcome != PromptOutcome::cancelled) {
        pending.answer_error(prompt_error(outcome));
        return std::nullopt;
    }
    // CONFIRM's cancel button is "Neka" (deny): remembered like an explicit no. A cancel from the
    // client (or the client going away) decides nothing.
    if (pending.cancel_token().cancelled() || pending.answered()) return std::nullopt;
    const bool allow = outcome == PromptOutcome::ok;
    AuditEntry entry;
    entry.origin = origin;
    entry.method = "consent";
    entry.result = allow ? "allow" : "deny";
    try {
        consent_.remember(origin, allow);
        audit_.append(entry);
    } catch (const std::exception& e) {
        spdlog::error("consent for {} not stored: {}", origin, e.what());
        pending.answer_error(
            ProtocolError(ErrorCode::InternalError, "The decision could not be stored."));
        return std::nullopt;
    }
    spdlog::info("consent: {} {}", origin, allow ? "allowed" : "denied");
    return allow;
}

}  // namespace sithsd::daemon
