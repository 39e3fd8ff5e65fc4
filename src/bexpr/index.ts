/** go-bexpr, as the Boundary controller evaluates list filters; shared by the gateway and the emulator. */
export * from "./evaluate.js";
