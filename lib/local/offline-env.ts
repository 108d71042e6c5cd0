/**
 * Local runs talk only to 127.0.0.1. With no credentials the SDK's default chain would ask the instance
 * metadata address (169.254.169.254); turn that off before any client exists. The SDK's notice that Node 20
 * support ends in 2027 is off too: the deployed poller runs on nodejs22.x.
 */
process.env.AWS_EC2_METADATA_DISABLED ??= 'true';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export {};
