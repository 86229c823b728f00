/** Customer-managed KMS keys and Secrets Manager secrets: a monthly fee each, plus requests. */
import { line, type Pricer, priced, usageLine } from "../model.js";

export const kmsKey: Pricer = (key, context) => {
  const { kms } = context.prices;
  return priced(
    line("customer-managed key", 1, "key-month", kms.keyMonth),
    usageLine(context, key, "requests", "kmsRequestThousands", "1k requests", kms.tenThousandRequests / 10),
  );
};

export const secret: Pricer = (secret, context) => {
  const { secretsManager } = context.prices;
  return priced(
    line("secret", 1, "secret-month", secretsManager.secretMonth),
    usageLine(
      context,
      secret,
      "API calls",
      "secretsCallThousands",
      "1k calls",
      secretsManager.tenThousandCalls / 10,
    ),
  );
};
