// What sithsctl says for the daemon's error answers: the configured language, the tries left, the
// parameter named as the flag, the wire reason last.
#include "daemon/ctl_messages.hpp"

#include <gtest/gtest.h>

namespace sithsd::daemon {
namespace {

sithsd::client::RpcError error(std::string reason, std::string message,
                               boost::json::object data = {}) {
    data["reason"] = reason;
    return sithsd::client::RpcError{1000, std::move(message), std::move(reason), std::move(data)};
}

TEST(CtlMessages, InTheConfiguredLanguageWithTheTriesLeft) {
    const auto cancelled = error("USER_CANCELLED", "The person cancelled.",
                                 {{"pinStatus", "countLow"}, {"triesLeft", 2}});
    EXPECT_EQ(ctl_error_text(cancelled, "sv"), "Avbrutet. 2 försök kvar. (USER_CANCELLED)");
    EXPECT_EQ(ctl_error_text(cancelled, "en"), "Cancelled. 2 tries left. (USER_CANCELLED)");
    const auto final_try = error("PIN_INCORRECT", "The PIN was wrong.", {{"triesLeft", 1}});
    EXPECT_EQ(ctl_error_text(final_try, "sv"),
              "Fel PIN-kod. Sista försöket återstår: fel PIN spärrar koden. (PIN_INCORRECT)");
    const auto blocked = error("PIN_BLOCKED", "blocked", {{"triesLeft", 0}});
    EXPECT_NE(ctl_error_text(blocked, "sv").find("sithsctl unblock-pin"), std::string::npos);
    EXPECT_EQ(ctl_error_text(blocked, "sv").find("försök kvar"), std::string::npos);
}

TEST(CtlMessages, ParametersAreNamedAsFlags) {
    const auto bad =
        error("INVALID_PARAMS", "certificateId must be a certificateId from listCertificates",
              {{"field", "certificateId"}});
    const auto text = ctl_error_text(bad, "en");
    EXPECT_EQ(text.find("certificateId"), std::string::npos) << text;
    EXPECT_NE(text.find("Bad value for --cert: --cert must be"), std::string::npos) << text;
    EXPECT_NE(text.find("(INVALID_PARAMS)"), std::string::npos);
}

TEST(CtlMessages, AnUnknownReasonKeepsTheDaemonsSentence) {
    EXPECT_EQ(ctl_error_text(error("SOMETHING_NEW", "Something new."), "sv"),
              "Something new. (SOMETHING_NEW)");
}

}  // namespace
}  // namespace sithsd::daemon
