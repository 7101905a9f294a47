#include "daemon/journal_logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cstdlib>
#include <string>

namespace sithsd::daemon {
namespace {

// %* in the pattern: the syslog priority of the message's level.
class JournalLevel : public spdlog::custom_flag_formatter {
  public:
    void format(const spdlog::details::log_msg& msg, const std::tm&,
                spdlog::memory_buf_t& dest) override {
        char priority = '6';  // info
        switch (msg.level) {
            case spdlog::level::critical:
                priority = '2';
                break;
            case spdlog::level::err:
                priority = '3';
                break;
            case spdlog::level::warn:
                priority = '4';
                break;
            case spdlog::level::info:
                priority = '6';
                break;
            case spdlog::level::debug:
            case spdlog::level::trace:
                priority = '7';
                break;
            default:
                break;
        }
        const char text[] = {'<', priority, '>'};
        dest.append(text, text + 3);
    }
    std::unique_ptr<custom_flag_formatter> clone() const override {
        return spdlog::details::make_unique<JournalLevel>();
    }
};

}  // namespace

bool stderr_is_journal(std::string_view journal_stream) {
    const auto colon = journal_stream.find(':');
    if (journal_stream.empty() || colon == std::string_view::npos) return false;
    struct stat st {};
    if (fstat(2, &st) != 0) return false;
    const std::string device(journal_stream.substr(0, colon));
    const std::string inode(journal_stream.substr(colon + 1));
    return std::to_string(st.st_dev) == device && std::to_string(st.st_ino) == inode;
}

void setup_logging() {
    auto logger = spdlog::stderr_logger_mt("sithsd");
    const char* stream = std::getenv("JOURNAL_STREAM");
    if (stderr_is_journal(stream ? stream : "")) {
        auto formatter = std::make_unique<spdlog::pattern_formatter>();
        formatter->add_flag<JournalLevel>('*').set_pattern("%*%v");
        logger->set_formatter(std::move(formatter));
    } else {
        logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %v");
    }
    logger->flush_on(spdlog::level::info);
    spdlog::set_default_logger(logger);
}

}  // namespace sithsd::daemon
