#include "daemon/origin_gate.hpp"

#include <spdlog/spdlog.h>

#include "daemon/methods/errors.hpp"
#include "daemon/prompt_texts.hpp"
#include "daemon/registrable_domain.hpp"

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
    const std::string domain = registrable_domain(pending->peer().origin->host);
    auto job = [this, pending, domain, then = std::move(then)] {
        const std::string origin = pending->peer().origin_text();
        // Another request may have asked while this one waited.
        std::optional<bool> decision = consent_.decision(origin);
        if (!decision && !pending->answered()) decision = question(*pending, origin);
        leave_place(domain);
        pending->release();
        if (pending->answered() || !decision) return;  // cancelled, gone, or failed: answered
        if (!*decision)
            pending->answer_error(
                ProtocolError(ErrorCode::OriginDenied, "The person denied this origin."));
        else
            then();
    };
    std::lock_guard lock(mutex_);
    if (!questions_) return (void)pending->answer_error(ProtocolError(ErrorCode::ShuttingDown));
    std::string why;
    if (!take_place(domain, pending->peer().origin_text(), why))
        return (void)pending->answer_error(ProtocolError(ErrorCode::Busy, why));
    if (!questions_->post(std::move(job))) {
        leave_place_locked(domain);
        pending->answer_error(ProtocolError(ErrorCode::Busy));
    }
}

bool OriginGate::take_place(const std::string& domain, const std::string& origin,
                            std::string& why) {
    Waiting& waiting = waiting_[domain];
    if (waiting.requests == 0) waiting.origin = origin;
    if (waiting.origin != origin) {
        why = "Another origin of " + domain + " (" + waiting.origin +
              ") is waiting for the person's answer; ask again after it.";
        return false;
    }
    if (waiting.requests >= kQuestionsPerOrigin) {
        why = "Too many requests of this origin wait for the person's answer.";
        return false;
    }
    ++waiting.requests;
    return true;
}

void OriginGate::leave_place_locked(const std::string& domain) {
    auto it = waiting_.find(domain);
    if (it != waiting_.end() && --it->second.requests == 0) waiting_.erase(it);
}

void OriginGate::leave_place(const std::string& domain) {
    std::lock_guard lock(mutex_);
    leave_place_locked(domain);
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
