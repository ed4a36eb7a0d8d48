#include <vector>

#include "storage/internal/statements.h"
#include "storage/storage.h"

namespace gantry::storage {

namespace internal {
const std::vector<Statement>& HostStatements() {
  static const std::vector<Statement> kStatements = {};
  return kStatements;
}
}  // namespace internal

}  // namespace gantry::storage
