#include "pkcs11/pcsc.hpp"

#include <PCSC/winscard.h>

#include <cstring>
#include <type_traits>

namespace sithsd::pkcs11::pcsc {
namespace {

static_assert(sizeof(SCARDCONTEXT) <= sizeof(std::int64_t));

// pcsc-lite's name for "tell me when readers come and go".
constexpr const char* kPnpReader = "\\\\?PnP?\\Notification";

SCARDCONTEXT native(std::int64_t handle) {
    return static_cast<SCARDCONTEXT>(handle);
}

bool is(LONG rv, unsigned long code) {
    return rv == static_cast<LONG>(code);
}

}  // namespace

Error::Error(const char* function, long code)
    : std::runtime_error(std::string(function) + ": " +
                         pcsc_stringify_error(static_cast<LONG>(code))),
      function_(function),
      code_(code) {}

void check(long rv, const char* function) {
    if (rv != SCARD_S_SUCCESS) throw Error(function, rv);
}

Context::Context() {
    SCARDCONTEXT context = 0;
    check(SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &context),
          "SCardEstablishContext");
    handle_ = static_cast<std::int64_t>(context);
}

Context::~Context() {
    SCardReleaseContext(native(handle_));
}

void Context::cancel() noexcept {
    SCardCancel(native(handle_));  // SCARD_S_SUCCESS also when no wait is in progress
}

std::vector<std::string> Context::readers() {
    DWORD size = 0;
    LONG rv = SCardListReaders(native(handle_), nullptr, nullptr, &size);
    if (is(rv, SCARD_E_NO_READERS_AVAILABLE) || (rv == SCARD_S_SUCCESS && size == 0)) return {};
    check(rv, "SCardListReaders");
    std::string buffer(size, '\0');
    rv = SCardListReaders(native(handle_), nullptr, buffer.data(), &size);
    if (is(rv, SCARD_E_NO_READERS_AVAILABLE)) return {};
    check(rv, "SCardListReaders");
    buffer.resize(size);
    std::vector<std::string> readers;
    for (const char* p = buffer.c_str(); *p; p += std::strlen(p) + 1) readers.emplace_back(p);
    return readers;
}

struct ReaderMonitor::States {
    std::vector<SCARD_READERSTATE> list;  // one per reader, then the PnP notification
};

ReaderMonitor::ReaderMonitor(Context& context)
    : context_(context), readers_(context.readers()), states_(std::make_unique<States>()) {
    auto& states = states_->list;
    states.resize(readers_.size() + 1);
    for (std::size_t i = 0; i < readers_.size(); ++i) {
        states[i] = {};
        states[i].szReader = readers_[i].c_str();
        states[i].dwCurrentState = SCARD_STATE_UNAWARE;
    }
    states.back() = {};
    states.back().szReader = kPnpReader;
    states.back().dwCurrentState = static_cast<DWORD>(readers_.size()) << 16;
    // Learn the current state without reporting it; wait() reports changes from here on.
    SCardGetStatusChange(native(context_.handle()), 0, states.data(),
                         static_cast<DWORD>(states.size()));
    for (auto& state : states) state.dwCurrentState = state.dwEventState & ~SCARD_STATE_CHANGED;
}

ReaderMonitor::~ReaderMonitor() = default;

ReaderMonitor::Change ReaderMonitor::wait(std::chrono::milliseconds timeout) {
    auto& states = states_->list;
    const LONG rv =
        SCardGetStatusChange(native(context_.handle()), static_cast<DWORD>(timeout.count()),
                             states.data(), static_cast<DWORD>(states.size()));
    if (is(rv, SCARD_E_CANCELLED)) return Change::cancelled;
    if (is(rv, SCARD_E_TIMEOUT)) return Change::none;
    check(rv, "SCardGetStatusChange");
    bool cards = false;
    bool readers = false;
    for (std::size_t i = 0; i + 1 < states.size(); ++i) {
        auto& state = states[i];
        if (!(state.dwEventState & SCARD_STATE_CHANGED)) continue;
        constexpr DWORD kPresence = SCARD_STATE_PRESENT | SCARD_STATE_EMPTY;
        if ((state.dwEventState ^ state.dwCurrentState) & kPresence) cards = true;
        if (state.dwEventState & (SCARD_STATE_UNKNOWN | SCARD_STATE_IGNORE)) readers = true;
        state.dwCurrentState = state.dwEventState & ~SCARD_STATE_CHANGED;
    }
    auto& pnp = states.back();
    if (pnp.dwEventState & SCARD_STATE_CHANGED) readers = true;
    pnp.dwCurrentState = pnp.dwEventState & ~SCARD_STATE_CHANGED;
    return readers ? Change::readers : cards ? Change::cards : Change::none;
}

}  // namespace sithsd::pkcs11::pcsc
