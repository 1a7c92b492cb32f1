package mmsim.config;

/** An invalid or unknown setting. The message names the setting and what it allows. */
public final class ConfigException extends IllegalArgumentException {
    public ConfigException(String message) {
        super(message);
    }
}
