// sithsd/client.h: notifications (cardsChanged, certificateExpiring) by callback or by polling.
#include <poll.h>

#include "client/c_api.hpp"

using namespace sithsd::client;

namespace {

using Clock = std::chrono::steady_clock;
// -1 ("no limit") as a wait long enough never to end in practice.
constexpr std::chrono::milliseconds kForever = std::chrono::hours(24 * 365);

std::chrono::milliseconds wait_of(int timeout_ms) {
    return timeout_ms < 0 ? kForever : std::chrono::milliseconds(timeout_ms);
}

// Reads for up to `wait` until something arrives. When a call on another thread is reading, it
// queues what comes: then we wait for the descriptor instead (the eventfd in it wakes us).
void read_or_wait(sithsd_client* client, std::chrono::milliseconds wait) {
    if (client->session->read_available(wait)) return;
    pollfd p{client->session->poll_fd(), POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(std::min<long long>(wait.count(), 60'000)));
}

std::chrono::milliseconds left_until(Clock::time_point deadline) {
    return std::max(std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()),
                    std::chrono::milliseconds{0});
}

}  // namespace

SITHSD_EXPORT sithsd_status sithsd_set_notification_callback(sithsd_client* client,
                                                             sithsd_notification_callback callback,
                                                             void* user_data) {
    if (!client) return SITHSD_E_INVALID_ARGUMENT;
    client->callback = callback;
    client->callback_data = user_data;
    return SITHSD_OK;
}

SITHSD_EXPORT int sithsd_fd(const sithsd_client* client) {
    return client ? client->session->poll_fd() : -1;
}

SITHSD_EXPORT sithsd_status sithsd_process(sithsd_client* client, int timeout_ms) {
    return guarded(nullptr, [&] {
        if (!client || timeout_ms < -1) return SITHSD_E_INVALID_ARGUMENT;
        if (!client->session->has_queued()) read_or_wait(client, wait_of(timeout_ms));
        client->session->read_available(std::chrono::milliseconds{0});  // what is there already
        if (client->callback)
            while (auto notification = client->session->pop_notification()) {
                const auto parsed = parse_notification(*notification);
                client->callback(&parsed, client->callback_data);
            }
        return SITHSD_OK;
    });
}

SITHSD_EXPORT sithsd_status sithsd_next_notification(sithsd_client* client, int timeout_ms,
                                                     sithsd_notification** notification) {
    return guarded(nullptr, [&] {
        if (!client || !notification || timeout_ms < -1) return SITHSD_E_INVALID_ARGUMENT;
        const auto deadline = Clock::now() + wait_of(timeout_ms);
        for (;;) {
            if (auto next = client->session->pop_notification())
                return hand_out(notification, nullptr, parse_notification(*next));
            const auto left = left_until(deadline);
            read_or_wait(client, left);
            if (left.count() == 0 && !client->session->has_queued())
                return SITHSD_E_NO_NOTIFICATION;
        }
    });
}

SITHSD_EXPORT sithsd_notification_kind
sithsd_notification_kind_of(const sithsd_notification* notification) {
    return notification ? notification->kind : SITHSD_NOTIFICATION_OTHER;
}

SITHSD_EXPORT const char* sithsd_notification_method(const sithsd_notification* notification) {
    return notification ? notification->method.c_str() : nullptr;
}

SITHSD_EXPORT const char* sithsd_notification_params_json(const sithsd_notification* notification) {
    return notification ? notification->params_json.c_str() : nullptr;
}

SITHSD_EXPORT const sithsd_card_list* sithsd_notification_cards(
    const sithsd_notification* notification) {
    return notification && notification->cards ? &*notification->cards : nullptr;
}

SITHSD_EXPORT const char* sithsd_notification_certificate_id(
    const sithsd_notification* notification) {
    return notification ? text_or_null(notification->certificate_id) : nullptr;
}

SITHSD_EXPORT int64_t sithsd_notification_not_after(const sithsd_notification* notification) {
    return notification ? notification->not_after : 0;
}

SITHSD_EXPORT int sithsd_notification_days_left(const sithsd_notification* notification) {
    return notification ? notification->days_left : 0;
}
