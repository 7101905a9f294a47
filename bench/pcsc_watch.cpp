// sithsd-pcsc-watch: prints {"ready":true} once it watches every reader, then {"event_ns":T} (the
// steady clock, as sithsd-load's) each time pcscd reports a card state change; ends at stdin's
// end. bench/run-bench puts it beside a sithsd to tell pcscd's latency from the daemon's.
#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace {
long long now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}
}  // namespace

int main() {
    SCARDCONTEXT context = 0;
    if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &context) != SCARD_S_SUCCESS) {
        std::fprintf(stderr, "sithsd-pcsc-watch: no pcscd\n");
        return 1;
    }
    DWORD size = 0;
    if (SCardListReaders(context, nullptr, nullptr, &size) != SCARD_S_SUCCESS) {
        std::fprintf(stderr, "sithsd-pcsc-watch: no readers\n");
        return 1;
    }
    std::string names(size, '\0');
    SCardListReaders(context, nullptr, names.data(), &size);
    std::vector<std::string> readers;
    for (const char* p = names.c_str(); *p; p += std::string(p).size() + 1) readers.emplace_back(p);
    std::vector<SCARD_READERSTATE> states(readers.size());
    for (std::size_t i = 0; i < readers.size(); ++i) {
        states[i].szReader = readers[i].c_str();
        states[i].dwCurrentState = SCARD_STATE_UNAWARE;
    }
    SCardGetStatusChange(context, 0, states.data(), static_cast<DWORD>(states.size()));
    for (auto& s : states) s.dwCurrentState = s.dwEventState & ~SCARD_STATE_CHANGED;
    std::printf("{\"ready\":true}\n");
    std::fflush(stdout);
    std::atomic<bool> done{false};
    std::thread([&] {
        char c;
        while (::read(0, &c, 1) > 0) {
        }
        done = true;
        SCardCancel(context);
    }).detach();
    while (!done) {
        LONG rv =
            SCardGetStatusChange(context, 1000, states.data(), static_cast<DWORD>(states.size()));
        if (rv == SCARD_E_TIMEOUT) continue;
        if (rv != SCARD_S_SUCCESS) break;
        bool changed = false;
        for (auto& s : states) {
            // Only presence counts (pcscd also flags event-counter changes).
            const DWORD mask = SCARD_STATE_PRESENT | SCARD_STATE_EMPTY;
            if ((s.dwEventState & mask) != (s.dwCurrentState & mask)) changed = true;
            s.dwCurrentState = s.dwEventState & ~SCARD_STATE_CHANGED;
        }
        if (changed) {
            std::printf("{\"event_ns\":%lld}\n", now_ns());
            std::fflush(stdout);
        }
    }
    SCardReleaseContext(context);
    return 0;
}
