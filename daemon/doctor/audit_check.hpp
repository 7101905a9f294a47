#pragma once
// Whether the audit log is whole, as `sithsctl audit verify` judges it (its chain, its head, the
// `tamper` lines sithsd wrote when it found the two apart at start). It never blocks a login.
#include <filesystem>
#include <vector>

#include "daemon/audit_verify.hpp"
#include "daemon/doctor/check_result.hpp"

namespace sithsd::daemon::doctor {

struct AuditSurvey {
    std::filesystem::path file;
    bool exists = false;
    std::vector<AuditProblem> problems;
};

AuditSurvey survey_audit(const std::filesystem::path& file);
CheckResult check_audit(const Situation& s, const AuditSurvey& survey);

}  // namespace sithsd::daemon::doctor
