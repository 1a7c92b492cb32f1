/**
 * Settings. Every setting of a machine is one {@link mmsim.config.Setting}: a key, a default, a
 * one-sentence doc and a strict parser whose errors ({@link mmsim.config.ConfigException}) name the key
 * and the values it allows. {@link mmsim.config.MachineConfig} holds the machine's settings and resolves
 * them into an immutable configuration that every run writes out whole.
 *
 * <p>Guarantees: unknown keys and invalid values are errors, never guesses; a resolved configuration's
 * {@code asStrings()} parses back to the same configuration. Immutable objects only: safe to share.
 *
 * <p>Extending: a new machine setting is one constant in {@code MachineConfig} plus its entry in
 * {@code SETTINGS}. Workloads declare their own settings with the same {@code Setting} factories.
 */
package mmsim.config;
