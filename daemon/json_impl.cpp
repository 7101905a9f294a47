// Boost.JSON, header-only: its implementation is compiled here, once for the daemon library.
// The protocol library (protocol/) compiles it too; when both are linked into one binary that
// is a duplicate definition, so the lead drops this file at the merge and the daemon uses
// protocol/'s copy.
#include <boost/json/src.hpp>
