#include "daemon/methods/card_job.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "daemon/methods/errors.hpp"

namespace sithsd::daemon {

using protocol::ErrorCode;
using protocol::ProtocolError;

void CardJobRunner::run(const std::shared_ptr<PendingRequest>& pending, AuditEntry entry,
                        const std::string& card_id, Body body) {
    pending->set_card(card_id);
    auto job = [this, pending, entry, body = std::move(body)]() mutable {
        execute(pending, entry, body);
    };
    if (!cards_.submit(card_id, std::move(job)))
        fail(pending, std::move(entry), ProtocolError(ErrorCode::Busy));
}

void CardJobRunner::fail(const std::shared_ptr<PendingRequest>& pending, AuditEntry entry,
                         const ProtocolError& error) {
    finish(pending, entry, nullptr, &error);
}

void CardJobRunner::execute(const std::shared_ptr<PendingRequest>& pending, AuditEntry& entry,
                            const Body& body) {
    if (pending->answered()) {  // cancelled, the client went away, or shutdown, while it waited
        const ProtocolError answered(pending->answered_with());
        return finish(pending, entry, nullptr, &answered);
    }
    try {
        const boost::json::value result = body(entry);
        finish(pending, entry, &result, nullptr);
    } catch (const ProtocolError& e) {
        finish(pending, entry, nullptr, &e);
    } catch (const pkcs11::CardError& e) {
        if (e.reason() == pkcs11::CardErrorReason::card_removed) cards_.request_refresh();
        const ProtocolError error = to_protocol_error(e);
        finish(pending, entry, nullptr, &error);
    } catch (const std::exception& e) {
        spdlog::error("{} failed: {}", pending->method(), e.what());
        const ProtocolError error(ErrorCode::InternalError);
        finish(pending, entry, nullptr, &error);
    }
}

void CardJobRunner::finish(const std::shared_ptr<PendingRequest>& pending, AuditEntry& entry,
                           const boost::json::value* result, const ProtocolError* error) {
    // The answer is claimed before its audit line is written: a request answered meanwhile (a
    // cancel that came as the card signed, the card removed during its prompt) is audited as it
    // ended for its client, and no cancel can slip in between the line and the answer.
    const bool mine = pending->claim();
    const ProtocolError answered(pending->answered_with());
    if (!mine) {
        result = nullptr;
        error = &answered;
    }
    entry.result = error ? std::string(protocol::reason_name(error->code)) : "ok";
    try {
        audit_.append(entry);
    } catch (const std::exception& e) {
        // Without its audit line a signature is not handed out.
        spdlog::error("{}", e.what());
        if (mine)
            pending->send_error(
                ProtocolError(ErrorCode::InternalError, "The audit log could not be written."));
        return;
    }
    if (!mine) return;
    if (error)
        pending->send_error(*error);
    else
        pending->send_result(*result);
}

}  // namespace sithsd::daemon
