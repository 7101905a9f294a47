#include "daemon/doctor/audit_check.hpp"

#include <algorithm>

namespace sithsd::daemon::doctor {
namespace {

constexpr std::size_t kProblemsShown = 5;

}  // namespace

AuditSurvey survey_audit(const std::filesystem::path& file) {
    AuditSurvey survey;
    survey.file = file;
    std::error_code ec;
    survey.exists = std::filesystem::exists(file, ec);
    if (survey.exists) survey.problems = verify_audit_file(file);
    return survey;
}

CheckResult check_audit(const Situation& s, const AuditSurvey& survey) {
    CheckResult r;
    r.id = "audit";
    const bool tampered = std::any_of(survey.problems.begin(), survey.problems.end(),
                                      [](const AuditProblem& p) { return p.tamper; });
    r.data = {{"file", survey.file.string()},
              {"exists", survey.exists},
              {"problems", survey.problems.size()},
              {"tamperLine", tampered}};
    r.details.push_back(s.say("fil: ", "file: ") + survey.file.string());
    if (!survey.exists) {
        r.text = s.say("Granskningsloggen: inget inloggat eller underskrivet än",
                       "Audit log: nothing logged in or signed yet");
        return r;
    }
    if (survey.problems.empty()) {
        r.text = s.say("Granskningsloggen är hel", "The audit log is intact");
        return r;
    }
    r.outcome = Outcome::failed;  // not a reason login fails: blocks_login stays false
    r.text = s.say("Granskningsloggen är inte hel: ", "The audit log is not intact: ") +
             std::to_string(survey.problems.size()) + s.say(" fel", " problem(s)");
    for (std::size_t i = 0; i < std::min(kProblemsShown, survey.problems.size()); ++i)
        r.details.push_back(s.say("rad ", "line ") + std::to_string(survey.problems[i].line) +
                            ": " + survey.problems[i].problem);
    r.advice = s.say(
        "Kör sithsctl audit verify och spara granskningsloggen och dess .head-fil åt den som "
        "utreder (regionens IT-säkerhet); sithsd skriver vidare i samma logg.",
        "Run sithsctl audit verify and keep the audit log and its .head file for whoever "
        "investigates (the region's IT security); sithsd goes on writing to the same log.");
    return r;
}

}  // namespace sithsd::daemon::doctor
