// The codeanatomy._native extension module: conversion only; all logic lives in the core.
#include "bindings/bindings.h"

#include "delta/provider.h"
#include "engine/session_state.h"

NB_MODULE(_native, m) {
  using namespace codeanatomy::bindings;
  Check(codeanatomy::engine::InitializeArrow());
  codeanatomy::delta::RegisterDeltaSqlFormat();
  m.attr("__version__") = codeanatomy::engine::kEngineVersion;
  BindErrors(m);
  BindArrow(m);
  BindExpr(m);
  BindSession(m);
  BindDataFrame(m);
  BindTracing(m);
  BindSql(m);
  BindDelta(m);
  BindDeltaWrite(m);
  BindDeltaOptimize(m);
  BindDeltaMaintenance(m);
  BindFunctions(m);
  BindPlugins(m);
  BindTableFunctions(m);
  BindSemantic(m);
  BindSpecBuilder(m);
  BindSubstrait(m);
}
