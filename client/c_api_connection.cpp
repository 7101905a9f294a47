// sithsd/client.h: memory, connection, timeout, cancel, hello and the generic call.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdlib>
#include <cstring>

#include "client/c_api.hpp"
#include "common/socket_path.hpp"

using namespace sithsd::client;

namespace sithsd::client {

OwnedHeader* header_of(void* payload) noexcept {
    return reinterpret_cast<OwnedHeader*>(static_cast<char*>(payload) - kHeaderSize);
}

void* allocate_owned(std::size_t payload_size, void (*destroy)(void*)) noexcept {
    void* memory = std::malloc(kHeaderSize + payload_size);
    if (!memory) return nullptr;
    auto* header = static_cast<OwnedHeader*>(memory);
    header->magic = kOwnedMagic;
    header->destroy = destroy;
    return static_cast<char*>(memory) + kHeaderSize;
}

char* owned_string(std::string_view text) noexcept {
    auto* copy = static_cast<char*>(allocate_owned(text.size() + 1, [](void*) {}));
    if (!copy) return nullptr;
    std::memcpy(copy, text.data(), text.size());
    copy[text.size()] = '\0';
    return copy;
}

sithsd_status fail(sithsd_error** error, sithsd_error details) noexcept {
    const auto status = details.status;
    if (error) *error = make_owned<sithsd_error>(std::move(details));
    return status;
}

sithsd_status request(sithsd_client* client, sithsd_error** error, std::string_view method,
                      boost::json::object params, boost::json::value& result) {
    auto answer = client->session->call(method, std::move(params), client->timeout);
    if (!answer.ok()) return fail(error, error_from_answer(*answer.error));
    result = std::move(answer.result);
    return SITHSD_OK;
}

}  // namespace sithsd::client

SITHSD_EXPORT void sithsd_free(void* object) {
    if (!object) return;
    OwnedHeader* header = header_of(object);
    if (header->magic != kOwnedMagic) return;  // not ours, or freed already
    header->magic = 0;
    header->destroy(object);
    std::free(header);
}

SITHSD_EXPORT char* sithsd_default_socket_path(void) {
    try {
        return owned_string(sithsd::client_socket_path().string());
    } catch (...) {
        return nullptr;
    }
}

SITHSD_EXPORT sithsd_status sithsd_connect(const char* socket_path, int timeout_ms,
                                           sithsd_client** client, sithsd_error** error) {
    return guarded(error, [&] {
        if (!client || timeout_ms < 0) return invalid_argument(error, "sithsd_connect: no client");
        const std::filesystem::path path =
            socket_path ? std::filesystem::path(socket_path) : sithsd::client_socket_path();
        sithsd_client connected;
        connected.session = Session::connect(path, std::chrono::milliseconds(timeout_ms));
        return hand_out(client, error, std::move(connected));
    });
}

SITHSD_EXPORT sithsd_status sithsd_set_timeout(sithsd_client* client, int timeout_ms) {
    if (!client || timeout_ms <= 0) return SITHSD_E_INVALID_ARGUMENT;
    client->timeout = std::chrono::milliseconds(timeout_ms);
    return SITHSD_OK;
}

SITHSD_EXPORT sithsd_status sithsd_cancel(sithsd_client* client) {
    if (!client) return SITHSD_E_INVALID_ARGUMENT;
    client->session->cancel();
    return SITHSD_OK;
}

SITHSD_EXPORT sithsd_status sithsd_hello(sithsd_client* client, char** daemon_version,
                                         sithsd_error** error) {
    return guarded(error, [&] {
        if (!client || !daemon_version) return invalid_argument(error, "sithsd_hello: NULL");
        boost::json::value result;
        if (auto status = request(client, error, "hello", {}, result); status != SITHSD_OK)
            return status;
        if (!result.is_object()) throw Malformed("hello's answer is not an object");
        const auto* version = result.as_object().if_contains("version");
        if (!version || !version->is_string()) throw Malformed("hello's answer has no version");
        char* copy = owned_string(version->as_string());
        if (!copy) throw std::bad_alloc();
        *daemon_version = copy;
        return SITHSD_OK;
    });
}

SITHSD_EXPORT sithsd_status sithsd_call(sithsd_client* client, const char* method,
                                        const char* params_json, char** result_json,
                                        sithsd_error** error) {
    return guarded(error, [&] {
        if (!client || !method || !*method || !result_json)
            return invalid_argument(error, "sithsd_call: NULL");
        boost::json::object params;
        if (params_json) {
            boost::system::error_code ec;
            auto parsed = boost::json::parse(params_json, ec);
            if (ec || !parsed.is_object())
                return invalid_argument(error, "sithsd_call: params are not a JSON object");
            params = std::move(parsed.as_object());
        }
        boost::json::value result;
        if (auto status = request(client, error, method, std::move(params), result);
            status != SITHSD_OK)
            return status;
        char* copy = owned_string(boost::json::serialize(result));
        if (!copy) throw std::bad_alloc();
        *result_json = copy;
        return SITHSD_OK;
    });
}
