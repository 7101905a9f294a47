// Boost.JSON compiled into the module itself (header-only mode), so that libsoftcard.so needs
// no Boost library at run time. Exactly one file of the module includes this.
#include <boost/json/src.hpp>
