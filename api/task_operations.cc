#include "api/api.h"

namespace gantry::api {

#define GANTRY_NOT_YET(Method)                                                              \
  void EcsOperations::Method(const v1::Method##Request&, Done<v1::Method##Response> done) { \
    done(absl::UnimplementedError(#Method " is not implemented yet"));                     \
  }
GANTRY_NOT_YET(RunTask)
GANTRY_NOT_YET(StopTask)
GANTRY_NOT_YET(DescribeTasks)
GANTRY_NOT_YET(ListTasks)
#undef GANTRY_NOT_YET

}  // namespace gantry::api
