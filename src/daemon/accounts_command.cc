#include "daemon/accounts_command.h"

#include <algorithm>
#include <filesystem>
#include <ostream>
#include <vector>

#include "auth/token_store.h"

namespace gdmount::daemon {

const char kAccountsHelp[] =
    "Usage: gdmount accounts\n"
    "\n"
    "Lists the accounts signed in on this machine, one per line: the name\n"
    "(for --account), a tab, and how it signs in (user sign-in or a service\n"
    "account's key file). Sign in another with: gdmount --account NAME auth\n";

int RunAccounts(const CommandLine& cl, std::ostream& out, std::ostream& err) {
  if (!cl.positional.empty()) {
    err << "gdmount accounts: unexpected argument '" << cl.positional[0]
        << "'\n";
    return 2;
  }
  auto any = auth::AccountConfigDir("default");
  if (!any.ok()) {
    err << "gdmount accounts: " << any.status().message() << "\n";
    return 1;
  }
  const std::filesystem::path root = std::filesystem::path(*any).parent_path();
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(root, ec))
    if (std::filesystem::exists(e.path() / "token.json"))
      names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    auto dir = auth::AccountConfigDir(name);
    if (!dir.ok()) continue;  // not a name an account can have
    auto creds = auth::TokenStore(*dir).Load();
    out << name << "\t";
    if (!creds.ok()) {
      out << "unusable: " << creds.status().message() << "\n";
    } else if (creds->type == auth::kServiceAccount) {
      out << "service account (" << creds->key_file << ")\n";
    } else {
      out << "user sign-in\n";
    }
  }
  if (names.empty()) {
    err << "gdmount accounts: none signed in; run `gdmount auth` (or "
           "`gdmount --account NAME auth`)\n";
    return 1;
  }
  return 0;
}

}  // namespace gdmount::daemon
